import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchingRule, wildcardMatch } from './match';
import {
  DEFAULT_RULE,
  getSamplingRulesResponse,
  PARCEL_API_RULE,
  SAMPLING_RULES,
  sdkRejectionReason,
} from './rules';

const stageRequest = {
  serviceName: 'parcelapi/local',
  serviceType: 'AWS::ApiGateway::Stage',
  host: '127.0.0.1:3000',
  httpMethod: 'GET',
  urlPath: '/parcels/RR123456785GB',
};

describe('sampling rules', () => {
  it('are all usable by the X-Ray SDKs', () => {
    for (const rule of SAMPLING_RULES) expect(sdkRejectionReason(rule), rule.RuleName).toBeUndefined();
  });

  it('rejects what the SDK would drop', () => {
    expect(sdkRejectionReason({ ...DEFAULT_RULE, Priority: 0 })).toMatch(/Priority/);
    expect(sdkRejectionReason({ ...DEFAULT_RULE, ServiceType: '' })).toMatch(/ServiceType/);
    expect(sdkRejectionReason({ ...DEFAULT_RULE, ResourceARN: 'arn:x' })).toMatch(/ResourceARN/);
    expect(sdkRejectionReason({ ...DEFAULT_RULE, Attributes: { a: 'b' } })).toMatch(/Attributes/);
  });

  it('default is 1/s then 5 % at priority 10000', () => {
    expect(DEFAULT_RULE).toMatchObject({
      RuleName: 'Default',
      ReservoirSize: 1,
      FixedRate: 0.05,
      Priority: 10000,
    });
  });

  it("the team's rule decides parcel look-ups at the stage, the default everything else", () => {
    expect(matchingRule(SAMPLING_RULES, stageRequest)?.RuleName).toBe(PARCEL_API_RULE.RuleName);
    expect(matchingRule(SAMPLING_RULES, { ...stageRequest, httpMethod: 'POST' })?.RuleName).toBe('Default');
    expect(matchingRule(SAMPLING_RULES, { ...stageRequest, urlPath: '/health' })?.RuleName).toBe('Default');
    expect(
      matchingRule(SAMPLING_RULES, { ...stageRequest, serviceType: 'AWS::ECS::Container' })?.RuleName,
    ).toBe('Default');
  });

  it('GetSamplingRules response carries ARNs and times', () => {
    const body = getSamplingRulesResponse(SAMPLING_RULES, {
      region: 'us-east-1',
      account: '000000000000',
      createdAt: 1700000000,
    });
    expect(body.SamplingRuleRecords).toHaveLength(2);
    expect(body.SamplingRuleRecords[1]?.SamplingRule.RuleARN).toBe(
      'arn:aws:xray:us-east-1:000000000000:sampling-rule/Default',
    );
  });
});

describe('wildcardMatch', () => {
  it('handles * and ?', () => {
    expect(wildcardMatch('/parcels/*', '/parcels/AB')).toBe(true);
    expect(wildcardMatch('/parcels/*', '/parcel')).toBe(false);
    expect(wildcardMatch('a?c', 'abc')).toBe(true);
    expect(wildcardMatch('a?c', 'ac')).toBe(false);
    expect(wildcardMatch('*b*d', 'xxbyyd')).toBe(true);
    expect(wildcardMatch('GET', 'get')).toBe(true);
  });

  it('agrees with an anchored regex for any literal-plus-wildcards pattern', () => {
    const piece = fc.constantFrom('a', 'b', '*', '?', '/');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.stringMatching(/^[ab/]{0,10}$/), (parts, value) => {
        const pattern = parts.join('');
        const re = new RegExp(
          `^${parts.map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c)).join('')}$`,
          's',
        );
        expect(wildcardMatch(pattern, value)).toBe(re.test(value));
      }),
    );
  });
});
