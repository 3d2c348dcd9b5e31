/**
 * The project's X-Ray sampling rules, defined once. The CDK stack deploys them as AWS::XRay::SamplingRule,
 * the local X-Ray service seeds its rule table with them, and tests read them.
 *
 * Sampling is decided at the edge (the API Gateway stage), so the team's rule matches the stage's requests
 * (`ServiceType: AWS::ApiGateway::Stage`, `URLPath: /parcels/*`); services downstream honour the decision
 * carried in `X-Amzn-Trace-Id` and never consult the rules themselves.
 */

/** A sampling rule as GetSamplingRules returns it and as CreateSamplingRule / the CFN resource accept it. */
export interface SamplingRule {
  RuleName: string;
  /** `*` or an ARN; the SDKs drop rules whose ResourceARN is not `*`. */
  ResourceARN: string;
  /** 1–9999 for custom rules (lowest wins); the `Default` rule is 10000. The SDKs drop priority 0. */
  Priority: number;
  /** Fraction of requests sampled beyond the reservoir, 0–1. */
  FixedRate: number;
  /** Requests per second sampled before FixedRate applies, shared by every host. */
  ReservoirSize: number;
  ServiceName: string;
  /** Must be non-empty (`*` matches all): the SDKs drop rules with an empty ServiceType. */
  ServiceType: string;
  Host: string;
  HTTPMethod: string;
  URLPath: string;
  /** Only version 1 exists; the SDKs drop any other. */
  Version: 1;
  /** Must be empty for the SDKs to use the rule. */
  Attributes: Record<string, string>;
}

/** The rule X-Ray always has: 1 request/s, then 5 %. Its priority is fixed at 10000 (the last resort). */
export const DEFAULT_RULE: SamplingRule = {
  RuleName: 'Default',
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
 * The team's rule: parcel look-ups at the gateway stage. Same budget as the default (1/s + 5 %) but its own
 * reservoir, so other traffic cannot starve it, and its own knob to turn up during an incident without a
 * redeploy (UpdateSamplingRule).
 */
export const PARCEL_API_RULE: SamplingRule = {
  RuleName: 'parcel-api',
  ResourceARN: '*',
  Priority: 100,
  FixedRate: 0.05,
  ReservoirSize: 1,
  ServiceName: '*',
  ServiceType: 'AWS::ApiGateway::Stage',
  Host: '*',
  HTTPMethod: 'GET',
  URLPath: '/parcels/*',
  Version: 1,
  Attributes: {},
};

/** Every rule the project defines, the team's first. */
export const SAMPLING_RULES: readonly SamplingRule[] = [PARCEL_API_RULE, DEFAULT_RULE];

/** The ARN X-Ray gives a rule: `arn:aws:xray:{region}:{account}:sampling-rule/{name}`. */
export function samplingRuleArn(ruleName: string, region: string, account: string): string {
  return `arn:aws:xray:${region}:${account}:sampling-rule/${ruleName}`;
}

/**
 * Why the X-Ray SDKs would silently ignore this rule (aws-xray-sdk-core's `isRuleValid`), or `undefined`
 * when they will use it. CreateSamplingRule on the local service rejects such rules outright.
 */
export function sdkRejectionReason(rule: SamplingRule): string | undefined {
  if (rule.Version !== 1) return 'Version must be 1';
  if (rule.ResourceARN !== '*') return 'ResourceARN must be "*"';
  if (Object.keys(rule.Attributes ?? {}).length > 0) return 'Attributes must be empty';
  if (!rule.ServiceType) return 'ServiceType must not be empty (use "*")';
  if (!rule.RuleName) return 'RuleName must not be empty';
  if (!(rule.Priority > 0)) return 'Priority must be greater than 0';
  if (!(rule.FixedRate >= 0 && rule.FixedRate <= 1)) return 'FixedRate must be between 0 and 1';
  if (!(Number.isInteger(rule.ReservoirSize) && rule.ReservoirSize >= 0))
    return 'ReservoirSize must be a non-negative integer';
  return undefined;
}

/** One record of a GetSamplingRules answer. Times are epoch seconds, as the X-Ray API sends them. */
export interface SamplingRuleRecord {
  SamplingRule: SamplingRule & { RuleARN: string };
  CreatedAt: number;
  ModifiedAt: number;
}

export interface GetSamplingRulesResponse {
  SamplingRuleRecords: SamplingRuleRecord[];
}

/** The `GetSamplingRules` response body for `rules`, as the API and the SDKs' sampling pollers read it. */
export function getSamplingRulesResponse(
  rules: readonly SamplingRule[],
  opts: { region: string; account: string; createdAt: number; modifiedAt?: number },
): GetSamplingRulesResponse {
  return {
    SamplingRuleRecords: rules.map((rule) => ({
      SamplingRule: { ...rule, RuleARN: samplingRuleArn(rule.RuleName, opts.region, opts.account) },
      CreatedAt: opts.createdAt,
      ModifiedAt: opts.modifiedAt ?? opts.createdAt,
    })),
  };
}
