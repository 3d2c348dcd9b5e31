/**
 * Reading X-Ray centralised sampling rules as `GetSamplingRules` returns them. The rule type, the
 * wildcard matcher and the SDKs' validity checks are the shared ones (@parcel/sampling-rules), so the
 * stage, the local X-Ray service and the CDK stack agree on what a rule means.
 */
import {
  DEFAULT_RULE,
  ruleMatches,
  type SamplingRequest,
  type SamplingRule,
  sdkRejectionReason,
  wildcardMatch,
} from '@parcel/sampling-rules';

export { type SamplingRequest, type SamplingRule, wildcardMatch };

export const DEFAULT_RULE_NAME = 'Default';

/** The rule an SDK falls back to when it has none: 1 request/s, then 5 %. */
export const LOCAL_DEFAULT_RULE: SamplingRule = DEFAULT_RULE;

const STRING_FIELDS = [
  'RuleName',
  'ResourceARN',
  'ServiceName',
  'ServiceType',
  'Host',
  'HTTPMethod',
  'URLPath',
];
const NUMBER_FIELDS = ['Priority', 'FixedRate', 'ReservoirSize', 'Version'];

/**
 * Reads a `GetSamplingRules` answer, keeping only the rules an SDK would use (Version 1, ResourceARN `*`,
 * no Attributes, a ServiceType, a non-zero Priority, sane rates), lowest priority first. Never throws.
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
    if (STRING_FIELDS.some((k) => typeof r[k] !== 'string')) continue;
    if (NUMBER_FIELDS.some((k) => typeof r[k] !== 'number' || !Number.isFinite(r[k] as number))) continue;
    const attributes = r.Attributes ?? {};
    if (typeof attributes !== 'object' || attributes === null) continue;
    const rule = {
      RuleName: r.RuleName as string,
      ResourceARN: r.ResourceARN as string,
      Priority: r.Priority as number,
      FixedRate: r.FixedRate as number,
      ReservoirSize: r.ReservoirSize as number,
      ServiceName: r.ServiceName as string,
      ServiceType: r.ServiceType as string,
      Host: r.Host as string,
      HTTPMethod: r.HTTPMethod as string,
      URLPath: r.URLPath as string,
      Version: r.Version as 1,
      Attributes: attributes as Record<string, string>,
    } satisfies SamplingRule;
    if (sdkRejectionReason(rule) !== undefined) continue;
    rules.push(rule);
  }
  return rules.sort((a, b) => a.Priority - b.Priority || a.RuleName.localeCompare(b.RuleName));
}

/** The first matching rule in priority order; the Default rule (or the local one) matches the rest. */
export function findRule(rules: readonly SamplingRule[], request: SamplingRequest): SamplingRule {
  for (const rule of rules) {
    if (rule.RuleName !== DEFAULT_RULE_NAME && ruleMatches(rule, request)) return rule;
  }
  return rules.find((r) => r.RuleName === DEFAULT_RULE_NAME) ?? LOCAL_DEFAULT_RULE;
}
