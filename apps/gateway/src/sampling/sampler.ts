import { randomBytes } from 'node:crypto';
import {
  DEFAULT_RULE_NAME,
  findRule,
  LOCAL_DEFAULT_RULE,
  parseSamplingRules,
  type SamplingRequest,
  type SamplingRule,
} from './rules';

export interface SamplingDecision {
  sampled: boolean;
  ruleName: string;
}

export interface SamplerOptions {
  /** Base URL of the daemon's TCP proxy (`http://127.0.0.1:2000`); undefined = local rules only. */
  endpoint?: string;
  rulesIntervalMs?: number;
  targetsIntervalMs?: number;
  requestTimeoutMs?: number;
  now?: () => number;
  random?: () => number;
  onError?: (what: 'rules' | 'targets', error: unknown) => void;
}

interface RuleState {
  rule: SamplingRule;
  /** Per-second quota granted by SamplingTargets; undefined until the first target arrives. */
  quota?: number;
  quotaExpiresAt?: number;
  second: number;
  takenThisSecond: number;
  borrowedSecond: number;
  requests: number;
  sampled: number;
  borrows: number;
}

/**
 * Centralised sampling as the X-Ray SDKs do it: rules from `POST /GetSamplingRules` (at start and every
 * 5 minutes), quotas from `POST /SamplingTargets` (every 10 s, reporting what each rule saw). Until a rule
 * has a quota it borrows 1 request/s, then applies its fixed rate. With no rules at all (daemon
 * unreachable) it applies the local Default: 1/s, then 5 %.
 */
export class CentralSampler {
  readonly clientId = randomBytes(12).toString('hex');
  private states = new Map<string, RuleState>();
  private rules: SamplingRule[] = [];
  private rulesFetchedAt = 0;
  private timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly localDefault: RuleState;

  constructor(private readonly options: SamplerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.localDefault = newState(LOCAL_DEFAULT_RULE);
  }

  /** Where the rules in use came from. */
  get source(): 'central' | 'local' {
    return this.rules.length > 0 ? 'central' : 'local';
  }

  get ruleNames(): string[] {
    return this.rules.map((r) => r.RuleName);
  }

  /** Fetches rules once (bounded by the request timeout), then keeps polling in the background. */
  async start(): Promise<void> {
    if (!this.options.endpoint) return;
    await this.refreshRules();
    const rulesEvery = this.options.rulesIntervalMs ?? 300_000;
    const targetsEvery = this.options.targetsIntervalMs ?? 10_000;
    this.timers.push(setInterval(() => void this.refreshRules(), rulesEvery).unref());
    this.timers.push(setInterval(() => void this.reportTargets(), targetsEvery).unref());
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  decide(request: SamplingRequest): SamplingDecision {
    const rule = this.rules.length > 0 ? findRule(this.rules, request) : LOCAL_DEFAULT_RULE;
    const state =
      this.rules.length > 0 ? (this.states.get(rule.RuleName) ?? this.track(rule)) : this.localDefault;
    const now = this.now();
    const second = Math.floor(now / 1000);
    if (state.second !== second) {
      state.second = second;
      state.takenThisSecond = 0;
    }
    state.requests++;
    const sampled = this.take(state, now, second);
    if (sampled) state.sampled++;
    return { sampled, ruleName: state.rule.RuleName };
  }

  private take(state: RuleState, now: number, second: number): boolean {
    if (state === this.localDefault) {
      if (state.takenThisSecond < state.rule.ReservoirSize) {
        state.takenThisSecond++;
        return true;
      }
      return this.random() < state.rule.FixedRate;
    }
    const quotaLive =
      state.quota !== undefined && state.quotaExpiresAt !== undefined && now < state.quotaExpiresAt;
    if (quotaLive) {
      if (state.takenThisSecond < (state.quota as number)) {
        state.takenThisSecond++;
        return true;
      }
      return this.random() < state.rule.FixedRate;
    }
    // No quota (yet, or expired): borrow one request a second so a new rule is never silent.
    if (state.borrowedSecond !== second) {
      state.borrowedSecond = second;
      state.borrows++;
      return true;
    }
    return this.random() < state.rule.FixedRate;
  }

  private track(rule: SamplingRule): RuleState {
    const state = newState(rule);
    this.states.set(rule.RuleName, state);
    return state;
  }

  async refreshRules(): Promise<boolean> {
    try {
      const doc = await this.post('/GetSamplingRules', {});
      const rules = parseSamplingRules(doc);
      if (rules.length === 0) throw new Error('GetSamplingRules returned no usable rule');
      const states = new Map<string, RuleState>();
      for (const rule of rules) {
        const previous = this.states.get(rule.RuleName);
        states.set(rule.RuleName, previous ? { ...previous, rule } : newState(rule));
      }
      this.states = states;
      this.rules = rules;
      this.rulesFetchedAt = this.now();
      return true;
    } catch (error) {
      this.options.onError?.('rules', error);
      return false;
    }
  }

  async reportTargets(): Promise<boolean> {
    if (this.rules.length === 0) return this.refreshRules();
    const timestamp = Math.floor(this.now() / 1000);
    // The API takes at most 25 statistics documents per call; the busiest rules report first.
    const reported = [...this.states.values()].sort((a, b) => b.requests - a.requests).slice(0, 25);
    const statistics = reported.map((s) => ({
      RuleName: s.rule.RuleName,
      ClientID: this.clientId,
      RequestCount: s.requests,
      BorrowCount: s.borrows,
      SampledCount: s.sampled,
      Timestamp: timestamp,
    }));
    try {
      const doc = (await this.post('/SamplingTargets', { SamplingStatisticsDocuments: statistics })) as {
        SamplingTargetDocuments?: unknown;
        LastRuleModification?: unknown;
      };
      for (const s of reported) {
        s.requests = 0;
        s.borrows = 0;
        s.sampled = 0;
      }
      const targets = Array.isArray(doc?.SamplingTargetDocuments) ? doc.SamplingTargetDocuments : [];
      for (const target of targets as Record<string, unknown>[]) {
        const state = typeof target?.RuleName === 'string' ? this.states.get(target.RuleName) : undefined;
        if (!state) continue;
        if (typeof target.FixedRate === 'number' && target.FixedRate >= 0 && target.FixedRate <= 1) {
          state.rule = { ...state.rule, FixedRate: target.FixedRate };
        }
        const ttl = parseTime(target.ReservoirQuotaTTL);
        if (typeof target.ReservoirQuota === 'number' && target.ReservoirQuota >= 0 && ttl !== undefined) {
          state.quota = Math.floor(target.ReservoirQuota);
          state.quotaExpiresAt = ttl;
        }
      }
      const modified = parseTime(doc?.LastRuleModification);
      if (modified !== undefined && modified > this.rulesFetchedAt) await this.refreshRules();
      return true;
    } catch (error) {
      this.options.onError?.('targets', error);
      return false;
    }
  }

  private async post(path: string, body: unknown): Promise<unknown> {
    const endpoint = this.options.endpoint;
    if (!endpoint) throw new Error('no sampling endpoint configured');
    const response = await fetch(`${endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 2000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text);
  }
}

function newState(rule: SamplingRule): RuleState {
  return { rule, second: -1, takenThisSecond: 0, borrowedSecond: -1, requests: 0, sampled: 0, borrows: 0 };
}

/** X-Ray sends times as epoch seconds (JSON numbers); accept milliseconds and ISO strings too. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

export { DEFAULT_RULE_NAME };
