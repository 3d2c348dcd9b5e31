import { LOCAL_ACCOUNT, LOCAL_REGION } from '@parcel/config';
import { DEFAULT_RULE, getSamplingRulesResponse, type SamplingRule } from '@parcel/sampling-rules';

/**
 * A GetSamplingRules answer as the X-Ray API sends it (`getSamplingRulesResponse`, what the local service
 * serves): each rule is the Default rule under its overrides. Overrides may be invalid on purpose (Version
 * 2, an empty ServiceType), hence the cast: what an SDK would drop, the gateway's parser must drop too.
 */
export function samplingRulesAnswer(overrides: readonly Record<string, unknown>[]) {
  const rules = overrides.map((override) => ({ ...DEFAULT_RULE, ...override }) as SamplingRule);
  return getSamplingRulesResponse(rules, { region: LOCAL_REGION, account: LOCAL_ACCOUNT, createdAt: 1.7e9 });
}
