import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { samplingRulesAnswer } from '../testing/sampling-rules';
import {
  findRule,
  LOCAL_DEFAULT_RULE,
  parseSamplingRules,
  type SamplingRequest,
  wildcardMatch,
} from './rules';

const stageRequest = (over: Partial<SamplingRequest> = {}): SamplingRequest => ({
  serviceName: 'parcelapi/local',
  serviceType: 'AWS::ApiGateway::Stage',
  host: '127.0.0.1:3000',
  httpMethod: 'GET',
  urlPath: '/parcels/RR123456785GB',
  ...over,
});

describe('wildcardMatch', () => {
  it.each([
    ['*', '', true],
    ['*', 'anything', true],
    ['/parcels/*', '/parcels/RR123456785GB', true],
    ['/parcels/*', '/internal/vendor/x', false],
    ['parcelapi/*', 'ParcelAPI/local', true],
    ['GE?', 'GET', true],
    ['GE?', 'GETS', false],
    ['*/local', 'parcelapi/local', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['', '', true],
    ['', 'x', false],
  ])('%s ~ %s → %s', (pattern, text, expected) => {
    expect(wildcardMatch(pattern, text)).toBe(expected);
  });

  it('agrees with an equivalent regular expression on arbitrary input', () => {
    const alphabet = fc.constantFrom('a', 'b', '/', '*', '?');
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 8 }),
        fc.array(fc.constantFrom('a', 'b', '/'), { maxLength: 10 }),
        (p, t) => {
          const pattern = p.join('');
          const text = t.join('');
          const regex = new RegExp(
            `^${pattern.replace(/[/]/g, '\\/').replace(/\*/g, '.*').replace(/\?/g, '.')}$`,
            'is',
          );
          expect(wildcardMatch(pattern, text)).toBe(regex.test(text));
        },
      ),
    );
  });

  it('stays linear on adversarial patterns', () => {
    const started = Date.now();
    expect(wildcardMatch(`${'*a'.repeat(200)}b`, 'a'.repeat(5000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('parseSamplingRules', () => {
  it('keeps valid rules sorted by priority, and drops those an SDK would drop', () => {
    const rules = parseSamplingRules(
      samplingRulesAnswer([
        { RuleName: 'Default', Priority: 10000 },
        { RuleName: 'parcels', Priority: 100, URLPath: '/parcels/*' },
        { RuleName: 'v2', Version: 2 },
        { RuleName: 'scoped', ResourceARN: 'arn:aws:ecs:*' },
        { RuleName: 'attrs', Attributes: { team: 'x' } },
        { RuleName: 'untyped', ServiceType: '' },
        { RuleName: 'zero', Priority: 0 },
        { RuleName: 'rate', FixedRate: 2 },
        { RuleName: 'internal', Priority: 50, URLPath: '/internal/*' },
      ]),
    );
    expect(rules.map((r) => r.RuleName)).toEqual(['internal', 'parcels', 'Default']);
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.anything(), (doc) => {
        expect(Array.isArray(parseSamplingRules(doc))).toBe(true);
        expect(Array.isArray(parseSamplingRules({ SamplingRuleRecords: [doc, { SamplingRule: doc }] }))).toBe(
          true,
        );
      }),
    );
  });
});

describe('findRule', () => {
  const rules = parseSamplingRules(
    samplingRulesAnswer([
      { RuleName: 'Default', Priority: 10000 },
      {
        RuleName: 'parcel-api',
        Priority: 100,
        ServiceName: 'parcel-api',
        ServiceType: 'AWS::ECS::Container',
      },
      {
        RuleName: 'stage-parcels',
        Priority: 200,
        ServiceName: 'parcelapi/*',
        ServiceType: 'AWS::ApiGateway::Stage',
        URLPath: '/parcels/*',
        HTTPMethod: 'GET',
      },
      { RuleName: 'stage-all', Priority: 300, ServiceType: 'AWS::ApiGateway::Stage' },
      { RuleName: 'host-rule', Priority: 150, Host: 'example.com' },
    ]),
  );

  it('matches on service name, service type, host, method and path; lowest priority wins', () => {
    expect(findRule(rules, stageRequest()).RuleName).toBe('stage-parcels');
    expect(findRule(rules, stageRequest({ urlPath: '/internal/vendor/x' })).RuleName).toBe('stage-all');
    expect(findRule(rules, stageRequest({ httpMethod: 'POST' })).RuleName).toBe('stage-all');
    expect(findRule(rules, stageRequest({ host: 'EXAMPLE.com' })).RuleName).toBe('host-rule');
    expect(findRule(rules, stageRequest({ serviceType: 'AWS::EC2::Instance' })).RuleName).toBe('Default');
  });

  it('falls back to the local Default when the rules have none', () => {
    expect(findRule([], stageRequest())).toBe(LOCAL_DEFAULT_RULE);
  });
});
