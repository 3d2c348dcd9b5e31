/**
 * X-Ray centralised sampling rules as `GetSamplingRules` returns them, and the matching the SDKs do:
 * `*` / `?` wildcards, case-insensitive, lowest priority number first (ties by rule name).
 */
export interface SamplingRule {
  RuleName: string;
  RuleARN?: string;
  ResourceARN: string;
  Priority: number;
  FixedRate: number;
  ReservoirSize: number;
  ServiceName: string;
  ServiceType: string;
  Host: string;
  HTTPMethod: string;
  URLPath: string;
  Version: number;
  Attributes?: Record<string, string>;
}

export interface SamplingRequest {
  serviceName: string;
  serviceType: string;
  host: string;
  httpMethod: string;
  urlPath: string;
}

export const DEFAULT_RULE_NAME = 'Default';

/** The rule an SDK falls back to when it has none: 1 request/s, then 5 %. */
export const LOCAL_DEFAULT_RULE: SamplingRule = {
  RuleName: DEFAULT_RULE_NAME,
  ResourceARN: '*',
  Priority: 10000,
  FixedRate: 0.05,
  ReservoirSize: 1,
  ServiceName: '*',
  ServiceType: '*',
  Host: '*',
  HTTPMethod: '*',
  URLPath: '*',
  Version: 1,
  Attributes: {},
};

/**
 * Reads a `GetSamplingRules` answer, keeping only the rules an SDK would: Version 1, ResourceARN `*`,
 * no Attributes, a ServiceType, a non-zero Priority, sane rates. Never throws; garbage yields [].
 */
export function parseSamplingRules(doc: unknown): SamplingRule[] {
  const records = (doc as { SamplingRuleRecords?: unknown } | null)?.SamplingRuleRecords;
  if (!Array.isArray(records)) return [];
  const rules: SamplingRule[] = [];
  for (const record of records) {
    const r = (record as { SamplingRule?: unknown } | null)?.SamplingRule as
      | Record<string, unknown>
      | undefined;
    if (!r || typeof r !== 'object') continue;
    const strings = [
      'RuleName',
      'ResourceARN',
      'ServiceName',
      'ServiceType',
      'Host',
      'HTTPMethod',
      'URLPath',
    ];
    if (strings.some((k) => typeof r[k] !== 'string')) continue;
    const numbers = ['Priority', 'FixedRate', 'ReservoirSize', 'Version'];
    if (numbers.some((k) => typeof r[k] !== 'number' || !Number.isFinite(r[k] as number))) continue;
    const rule = r as unknown as SamplingRule;
    if (rule.Version !== 1 || rule.ResourceARN !== '*' || rule.ServiceType === '' || rule.Priority === 0)
      continue;
    if (rule.Attributes && typeof rule.Attributes === 'object' && Object.keys(rule.Attributes).length > 0)
      continue;
    if (rule.FixedRate < 0 || rule.FixedRate > 1 || rule.ReservoirSize < 0) continue;
    rules.push({
      RuleName: rule.RuleName,
      ...(typeof rule.RuleARN === 'string' ? { RuleARN: rule.RuleARN } : {}),
      ResourceARN: rule.ResourceARN,
      Priority: rule.Priority,
      FixedRate: rule.FixedRate,
      ReservoirSize: rule.ReservoirSize,
      ServiceName: rule.ServiceName,
      ServiceType: rule.ServiceType,
      Host: rule.Host,
      HTTPMethod: rule.HTTPMethod,
      URLPath: rule.URLPath,
      Version: rule.Version,
      Attributes: {},
    });
  }
  return sortRules(rules);
}

export function sortRules(rules: SamplingRule[]): SamplingRule[] {
  return [...rules].sort((a, b) => a.Priority - b.Priority || a.RuleName.localeCompare(b.RuleName));
}

/** Glob match with `*` (any run) and `?` (one character), case-insensitive; linear time, no regex. */
export function wildcardMatch(pattern: string, text: string): boolean {
  if (pattern === '*') return true;
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  let pi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

export function ruleMatches(rule: SamplingRule, request: SamplingRequest): boolean {
  // The Default rule matches everything whatever its fields say, as in the SDKs.
  if (rule.RuleName === DEFAULT_RULE_NAME) return true;
  return (
    wildcardMatch(rule.ServiceName, request.serviceName) &&
    wildcardMatch(rule.ServiceType, request.serviceType) &&
    wildcardMatch(rule.Host, request.host) &&
    wildcardMatch(rule.HTTPMethod, request.httpMethod) &&
    wildcardMatch(rule.URLPath, request.urlPath)
  );
}

/** The first matching rule in priority order; the Default rule (or the local one) otherwise. */
export function findRule(rules: SamplingRule[], request: SamplingRequest): SamplingRule {
  for (const rule of rules) {
    if (rule.RuleName !== DEFAULT_RULE_NAME && ruleMatches(rule, request)) return rule;
  }
  return rules.find((r) => r.RuleName === DEFAULT_RULE_NAME) ?? LOCAL_DEFAULT_RULE;
}
