import { DEFAULT_RULE, PARCEL_API_RULE } from '@parcel/sampling-rules';
import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error';
import { MAX_CLIENTS_PER_RULE, SamplingTable } from './sampling-table';

const table = () => new SamplingTable([DEFAULT_RULE, PARCEL_API_RULE], 'us-east-1', '000000000000');
const clientId = (n: number) => n.toString(16).padStart(24, '0');
const report = (ids: string[], rule = PARCEL_API_RULE.RuleName) => ({
  SamplingStatisticsDocuments: ids.map((ClientID) => ({
    RuleName: rule,
    ClientID,
    RequestCount: 100,
    SampledCount: 1,
    BorrowCount: 0,
    Timestamp: Date.now() / 1000,
  })),
});
const quota = (t: SamplingTable, id: string) =>
  t.targets(report([id])).SamplingTargetDocuments[0]?.ReservoirQuota ?? -1;

describe('GetSamplingTargets cannot be used to starve the real clients', () => {
  it('a call speaks for one ClientID (24 hex digits), as the SDKs send it', () => {
    const out = table().targets(report([clientId(1), clientId(2), 'not-hex']));
    expect(out.SamplingTargetDocuments).toHaveLength(1);
    expect(out.UnprocessedStatistics.map((u) => u.Message)).toEqual([
      'One call reports for one ClientID',
      'RuleName and ClientID (24 hex digits) are required',
    ]);
  });

  it('invented ClientIDs past the bound get no share; running clients keep theirs', () => {
    const t = table();
    const real = [clientId(1), clientId(2)];
    for (const id of real) quota(t, id);
    const before = real.map((id) => quota(t, id));
    expect(before.reduce((a, b) => a + b, 0)).toBe(PARCEL_API_RULE.ReservoirSize);
    for (let i = 100; i < 100 + 10 * MAX_CLIENTS_PER_RULE; i++) quota(t, clientId(i));
    const after = real.map((id) => quota(t, id));
    // The real clients are two of at most MAX_CLIENTS_PER_RULE sharers, whatever the flood.
    const fairShare = Math.floor(PARCEL_API_RULE.ReservoirSize / MAX_CLIENTS_PER_RULE);
    for (const q of after) expect(q).toBeGreaterThanOrEqual(fairShare);
    expect(quota(t, clientId(99_999))).toBe(0);
  });
});

describe('rule fields are limited as the X-Ray API limits them (API reference, SamplingRule)', () => {
  const base = { ...PARCEL_API_RULE, RuleName: 'limits' };
  it.each([
    ['ServiceName', 'x'.repeat(65)],
    ['ServiceType', 'x'.repeat(65)],
    ['Host', 'x'.repeat(65)],
    ['HTTPMethod', 'x'.repeat(11)],
    ['URLPath', `/${'x'.repeat(128)}`],
    ['ResourceARN', 'x'.repeat(501)],
  ])('%s', (field, value) => {
    expect(() => table().create({ ...base, [field]: value })).toThrow(ApiError);
    expect(() => table().create({ ...base, [field]: value })).toThrow(/at most \d+ characters/);
    // One character less passes the limit (ResourceARN must then still be "*" for the SDKs).
    if (field !== 'ResourceARN')
      expect(() => table().create({ ...base, [field]: value.slice(0, -1) })).not.toThrow();
  });

  it('Attributes: at most 5, keys and values 1-32 characters', () => {
    const attrs = (n: number, len = 3) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'.repeat(len)]));
    // (The SDKs ignore a rule with attributes, so the table refuses any; the API limits come first.)
    expect(() => table().create({ ...base, Attributes: attrs(6) })).toThrow(/at most 5/);
    expect(() => table().create({ ...base, Attributes: attrs(1, 33) })).toThrow(/1-32/);
  });
});
