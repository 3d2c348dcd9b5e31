import { type SamplingRule, samplingRuleArn, sdkRejectionReason } from '@parcel/sampling-rules';
import { ApiError, invalidRequest } from './api-error';

/** How long a client counts as active for splitting a reservoir: one report interval. */
const ACTIVE_WINDOW_MS = 10_000;
/** How often the SDKs should report (seconds); also how long a quota lives. */
const REPORT_INTERVAL_S = 10;
/** X-Ray allows 25 rules per account and region (Default included). */
const MAX_RULES = 25;
/**
 * Clients that share a rule's reservoir at once. One that is already sharing keeps its place while it
 * reports; a newcomer past the bound gets no reservoir (its fixed rate still applies), so a caller
 * inventing ClientIDs cannot dilute the running clients' shares to nothing.
 */
export const MAX_CLIENTS_PER_RULE = 32;
/** The SDKs' ClientID: 24 hex digits (GetSamplingTargets API reference: length 24). */
const CLIENT_ID = /^[0-9a-fA-F]{24}$/;

/** Length limits of the SamplingRule fields (X-Ray API reference, SamplingRule / SamplingRuleUpdate). */
const FIELD_LIMITS: Record<(typeof STRING_FIELDS)[number], number> = {
  ServiceName: 64,
  ServiceType: 64,
  Host: 64,
  HTTPMethod: 10,
  URLPath: 128,
  ResourceARN: 500,
};
const MAX_ATTRIBUTES = 5;
const MAX_ATTRIBUTE_LENGTH = 32;

export interface StoredRule {
  rule: SamplingRule & { RuleARN: string };
  createdAt: number;
  modifiedAt: number;
}

interface ClientReport {
  lastSeenMs: number;
  requestCount: number;
}

export interface TargetsResult {
  SamplingTargetDocuments: {
    RuleName: string;
    FixedRate: number;
    ReservoirQuota: number;
    /** Epoch milliseconds; the HTTP layer writes it in the caller's time format. */
    ReservoirQuotaTTL: number;
    Interval: number;
  }[];
  /** Epoch milliseconds. */
  LastRuleModification: number;
  UnprocessedStatistics: { RuleName?: string; ErrorCode: string; Message: string }[];
}

const STRING_FIELDS = ['ServiceName', 'ServiceType', 'Host', 'HTTPMethod', 'URLPath', 'ResourceARN'] as const;

/**
 * The account's sampling rules and the reservoir bookkeeping behind GetSamplingTargets. Each rule's
 * reservoir (requests/s for the whole fleet) is split across the clients that reported for it in the
 * last report interval, so the fleet together samples at most ReservoirSize per second.
 */
export class SamplingTable {
  private readonly rules = new Map<string, StoredRule>();
  private readonly reports = new Map<string, Map<string, ClientReport>>();
  /** Epoch milliseconds of the last create/update/delete. */
  private lastModification: number;

  constructor(
    seed: readonly SamplingRule[],
    private readonly region: string,
    private readonly account: string,
    private readonly now: () => number = Date.now,
  ) {
    const t = this.now();
    for (const rule of seed) this.insert(rule, t);
    this.lastModification = t;
  }

  list(): StoredRule[] {
    return [...this.rules.values()].sort(
      (a, b) => a.rule.Priority - b.rule.Priority || a.rule.RuleName.localeCompare(b.rule.RuleName),
    );
  }

  get lastModifiedMs(): number {
    return this.lastModification;
  }

  create(input: unknown): StoredRule {
    const rule = parseRule(input);
    if (this.rules.has(rule.RuleName)) throw invalidRequest(`Sampling rule ${rule.RuleName} already exists`);
    if (this.rules.size >= MAX_RULES)
      throw new ApiError(400, 'RuleLimitExceededException', `At most ${MAX_RULES} sampling rules`);
    const stored = this.insert(rule, this.now());
    this.lastModification = stored.modifiedAt;
    return stored;
  }

  update(input: unknown): StoredRule {
    if (typeof input !== 'object' || input === null) throw invalidRequest('SamplingRuleUpdate is required');
    const update = input as Record<string, unknown>;
    const existing = this.find(update.RuleName, update.RuleARN);
    const next: Record<string, unknown> = { ...existing.rule };
    const isDefault = existing.rule.RuleName === 'Default';
    for (const [key, value] of Object.entries(update)) {
      if (key === 'RuleName' || key === 'RuleARN' || value === undefined || value === null) continue;
      if (isDefault && key !== 'FixedRate' && key !== 'ReservoirSize')
        throw invalidRequest('Only FixedRate and ReservoirSize of the Default rule can be changed');
      if (!UPDATABLE.has(key)) throw invalidRequest(`${key} cannot be updated`);
      next[key] = value;
    }
    const rule = parseRule({ ...next, Version: 1 });
    const stored: StoredRule = {
      rule: { ...rule, RuleARN: existing.rule.RuleARN },
      createdAt: existing.createdAt,
      modifiedAt: this.now(),
    };
    this.rules.set(rule.RuleName, stored);
    this.lastModification = stored.modifiedAt;
    return stored;
  }

  delete(ruleName: unknown, ruleArn: unknown): StoredRule {
    const existing = this.find(ruleName, ruleArn);
    if (existing.rule.RuleName === 'Default') throw invalidRequest('The Default rule cannot be deleted');
    this.rules.delete(existing.rule.RuleName);
    this.reports.delete(existing.rule.RuleName);
    this.lastModification = this.now();
    return existing;
  }

  /** GetSamplingTargets: record each client's report, hand back its share of each rule's reservoir. */
  targets(input: unknown): TargetsResult {
    const docs = (input as { SamplingStatisticsDocuments?: unknown } | null)?.SamplingStatisticsDocuments;
    if (!Array.isArray(docs)) throw invalidRequest('SamplingStatisticsDocuments must be a list');
    if (docs.length > 25) throw invalidRequest('At most 25 SamplingStatisticsDocuments per call');
    const nowMs = this.now();
    const result: TargetsResult = {
      SamplingTargetDocuments: [],
      LastRuleModification: this.lastModification,
      UnprocessedStatistics: [],
    };
    const accepted: { ruleName: string; clientId: string }[] = [];
    // An SDK reports all its rules under its one ClientID: a call speaks for one client.
    let caller: string | undefined;
    for (const raw of docs) {
      const doc = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      const ruleName = typeof doc.RuleName === 'string' ? doc.RuleName : undefined;
      if (!ruleName || typeof doc.ClientID !== 'string' || !CLIENT_ID.test(doc.ClientID)) {
        result.UnprocessedStatistics.push({
          ...(ruleName ? { RuleName: ruleName } : {}),
          ErrorCode: '400',
          Message: 'RuleName and ClientID (24 hex digits) are required',
        });
        continue;
      }
      caller ??= doc.ClientID;
      if (doc.ClientID !== caller) {
        result.UnprocessedStatistics.push({
          RuleName: ruleName,
          ErrorCode: '400',
          Message: 'One call reports for one ClientID',
        });
        continue;
      }
      if (!this.rules.has(ruleName)) {
        result.UnprocessedStatistics.push({ RuleName: ruleName, ErrorCode: '400', Message: 'Unknown rule' });
        continue;
      }
      const clients = this.reports.get(ruleName) ?? new Map<string, ClientReport>();
      const requestCount =
        typeof doc.RequestCount === 'number' && doc.RequestCount >= 0 ? doc.RequestCount : 0;
      for (const [id, report] of clients)
        if (nowMs - report.lastSeenMs > ACTIVE_WINDOW_MS) clients.delete(id);
      if (clients.has(doc.ClientID) || clients.size < MAX_CLIENTS_PER_RULE)
        clients.set(doc.ClientID, { lastSeenMs: nowMs, requestCount });
      this.reports.set(ruleName, clients);
      accepted.push({ ruleName, clientId: doc.ClientID });
    }
    for (const { ruleName, clientId } of accepted) {
      const stored = this.rules.get(ruleName) as StoredRule;
      result.SamplingTargetDocuments.push({
        RuleName: ruleName,
        FixedRate: stored.rule.FixedRate,
        ReservoirQuota: this.quotaFor(ruleName, clientId, stored.rule.ReservoirSize, nowMs),
        // The quota outlives the next report: a client renews it before it expires and never falls back to
        // borrowing 1/s in between (which a rule at rate 0 would see as a stray sampled request).
        ReservoirQuotaTTL: nowMs + 2 * REPORT_INTERVAL_S * 1000,
        Interval: REPORT_INTERVAL_S,
      });
    }
    return result;
  }

  /**
   * The client's share of `reservoir`: an even split over the clients active in the last interval, the
   * remainder going to the busiest ones (most requests, then client id), so shares sum to the reservoir.
   */
  private quotaFor(ruleName: string, clientId: string, reservoir: number, nowMs: number): number {
    const clients = this.reports.get(ruleName) as Map<string, ClientReport>;
    for (const [id, report] of clients) if (nowMs - report.lastSeenMs > ACTIVE_WINDOW_MS) clients.delete(id);
    const active = [...clients].sort(
      (a, b) => b[1].requestCount - a[1].requestCount || a[0].localeCompare(b[0]),
    );
    const base = Math.floor(reservoir / active.length);
    const remainder = reservoir % active.length;
    const rank = active.findIndex(([id]) => id === clientId);
    if (rank < 0) return 0; // past MAX_CLIENTS_PER_RULE: no share
    return base + (rank < remainder ? 1 : 0);
  }

  private find(ruleName: unknown, ruleArn: unknown): StoredRule {
    if (typeof ruleName === 'string') {
      const found = this.rules.get(ruleName);
      if (found) return found;
    } else if (typeof ruleArn === 'string') {
      for (const stored of this.rules.values()) if (stored.rule.RuleARN === ruleArn) return stored;
    } else throw invalidRequest('RuleName or RuleARN is required');
    throw invalidRequest(`Sampling rule ${String(ruleName ?? ruleArn)} does not exist`);
  }

  private insert(rule: SamplingRule, t: number): StoredRule {
    const stored: StoredRule = {
      rule: { ...rule, RuleARN: samplingRuleArn(rule.RuleName, this.region, this.account) },
      createdAt: t,
      modifiedAt: t,
    };
    this.rules.set(rule.RuleName, stored);
    return stored;
  }
}

const UPDATABLE = new Set([
  'ResourceARN',
  'Priority',
  'FixedRate',
  'ReservoirSize',
  'Host',
  'ServiceName',
  'ServiceType',
  'HTTPMethod',
  'URLPath',
  'Attributes',
]);

/** Validates a rule as CreateSamplingRule does, plus what the SDKs need to use it at all. */
export function parseRule(input: unknown): SamplingRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw invalidRequest('SamplingRule is required');
  const r = input as Record<string, unknown>;
  if (typeof r.RuleName !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(r.RuleName))
    throw invalidRequest('RuleName must be 1-32 letters, digits, "-" or "_"');
  for (const f of STRING_FIELDS) {
    const value = r[f];
    if (typeof value !== 'string') throw invalidRequest(`${f} is required`);
    if (value.length > FIELD_LIMITS[f])
      throw invalidRequest(`${f} must be at most ${FIELD_LIMITS[f]} characters`);
  }
  // 10000 belongs to the Default rule: every other rule must be able to win over it.
  const maxPriority = r.RuleName === 'Default' ? 10000 : 9999;
  if (
    typeof r.Priority !== 'number' ||
    !Number.isInteger(r.Priority) ||
    r.Priority < 1 ||
    r.Priority > maxPriority
  )
    throw invalidRequest(`Priority must be an integer from 1 to ${maxPriority}`);
  if (typeof r.FixedRate !== 'number' || !(r.FixedRate >= 0 && r.FixedRate <= 1))
    throw invalidRequest('FixedRate must be between 0 and 1');
  if (typeof r.ReservoirSize !== 'number' || !Number.isInteger(r.ReservoirSize) || r.ReservoirSize < 0)
    throw invalidRequest('ReservoirSize must be a non-negative integer');
  if (r.Version !== 1) throw invalidRequest('Version must be 1');
  const attributes = r.Attributes ?? {};
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
    throw invalidRequest('Attributes must be a map');
  const entries = Object.entries(attributes);
  if (entries.length > MAX_ATTRIBUTES)
    throw invalidRequest(`Attributes has at most ${MAX_ATTRIBUTES} entries`);
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > MAX_ATTRIBUTE_LENGTH || typeof value !== 'string')
      throw invalidRequest(`Attribute keys and values are 1-${MAX_ATTRIBUTE_LENGTH} characters`);
    if (value.length < 1 || value.length > MAX_ATTRIBUTE_LENGTH)
      throw invalidRequest(`Attribute keys and values are 1-${MAX_ATTRIBUTE_LENGTH} characters`);
  }
  const rule: SamplingRule = {
    RuleName: r.RuleName,
    ResourceARN: r.ResourceARN as string,
    Priority: r.Priority,
    FixedRate: r.FixedRate,
    ReservoirSize: r.ReservoirSize,
    ServiceName: r.ServiceName as string,
    ServiceType: r.ServiceType as string,
    Host: r.Host as string,
    HTTPMethod: r.HTTPMethod as string,
    URLPath: r.URLPath as string,
    Version: 1,
    Attributes: attributes as Record<string, string>,
  };
  const reason = sdkRejectionReason(rule);
  if (reason) throw invalidRequest(`${reason}: the X-Ray SDKs would ignore this rule`);
  return rule;
}
