import { seededRandom } from '@parcel/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyProfilePatch,
  DEFAULT_LATENCY_PROFILE,
  type LatencyProfile,
  PROFILE_FIELDS,
  PROFILE_LIMITS,
  planCall,
} from './latency-profile';

const quantile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))] as number;

describe('planCall', () => {
  it('spreads the default profile log-normally around a 110 ms median', () => {
    const random = seededRandom(42);
    const delays = Array.from(
      { length: 20_000 },
      () => planCall(DEFAULT_LATENCY_PROFILE, random).delayMs,
    ).sort((a, b) => a - b);
    expect(quantile(delays, 0.5)).toBeGreaterThan(104);
    expect(quantile(delays, 0.5)).toBeLessThan(116);
    // A realistic spread, not a constant: p10 well below, p99 well above the median, no absurd tail.
    expect(quantile(delays, 0.1)).toBeLessThan(75);
    expect(quantile(delays, 0.99)).toBeGreaterThan(220);
    expect(quantile(delays, 0.99)).toBeLessThan(350);
    expect(delays[0]).toBeGreaterThan(0);
  });

  it('makes the configured share of calls slow, failed or reset', () => {
    const random = seededRandom(7);
    const profile: LatencyProfile = {
      medianMs: 20,
      slowFraction: 0.1,
      slowMs: 900,
      errorRate: 0.2,
      resetRate: 0.05,
    };
    const n = 20_000;
    const plans = Array.from({ length: n }, () => planCall(profile, random));
    const share = (pred: (p: (typeof plans)[number]) => boolean) => plans.filter(pred).length / n;
    expect(share((p) => p.slow)).toBeCloseTo(0.1, 1);
    expect(share((p) => p.outcome === 'error')).toBeCloseTo(0.2, 1);
    expect(share((p) => p.outcome === 'reset')).toBeCloseTo(0.05, 1);
    expect(plans.filter((p) => p.slow).every((p) => p.delayMs === 900)).toBe(true);
  });

  it('honours the extremes exactly', () => {
    const all = { medianMs: 0, slowFraction: 1, slowMs: 300, errorRate: 1, resetRate: 0 };
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (r) => {
        expect(planCall(all, () => r)).toEqual({ delayMs: 300, slow: true, outcome: 'error' });
        expect(planCall(DEFAULT_LATENCY_PROFILE, () => r).outcome).toBe('answer');
      }),
    );
  });
});

describe('applyProfilePatch', () => {
  it('merges a partial patch and leaves the rest', () => {
    expect(applyProfilePatch(DEFAULT_LATENCY_PROFILE, { errorRate: 0.5 })).toEqual({
      ok: true,
      profile: { ...DEFAULT_LATENCY_PROFILE, errorRate: 0.5 },
    });
  });

  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    ['fast', /JSON object/],
    [{ medianMs: -1 }, /medianMs/],
    [{ errorRate: 1.5 }, /errorRate/],
    [{ slowFraction: '0.5' }, /slowFraction/],
    [{ slowMs: null }, /slowMs/],
    [{ medianMs: 10, colour: 'red' }, /unknown field "colour"/],
    [JSON.parse('{"__proto__": {"medianMs": 1}}'), /unknown field "__proto__"/],
  ])('rejects %j', (patch, problem) => {
    const result = applyProfilePatch(DEFAULT_LATENCY_PROFILE, patch);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join('; ')).toMatch(problem);
  });

  it('on hostile input either rejects or yields a profile within bounds, never a partial change', () => {
    const anyValue = fc.oneof(fc.double(), fc.integer(), fc.string(), fc.boolean(), fc.constant(null));
    const hostile = fc.dictionary(fc.oneof(fc.constantFrom(...PROFILE_FIELDS), fc.string()), anyValue);
    // Patches within every field's range, edges included: most inputs must take the accepting branch,
    // or its checks below would hardly ever run.
    const inRange = fc.record(
      Object.fromEntries(
        PROFILE_FIELDS.map((f) => [
          f,
          fc.oneof(
            fc.constantFrom(PROFILE_LIMITS[f].min, PROFILE_LIMITS[f].max),
            fc.double({ min: PROFILE_LIMITS[f].min, max: PROFILE_LIMITS[f].max, noNaN: true }),
          ),
        ]),
      ) as Record<keyof LatencyProfile, fc.Arbitrary<number>>,
      { requiredKeys: [] },
    );
    let accepted = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.oneof({ arbitrary: inRange, weight: 3 }, hostile, fc.jsonValue()), (input) => {
        runs++;
        const result = applyProfilePatch(DEFAULT_LATENCY_PROFILE, input);
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          return;
        }
        accepted++;
        const p = result.profile;
        expect(Object.keys(p).sort()).toEqual([...PROFILE_FIELDS].sort());
        for (const f of ['slowFraction', 'errorRate', 'resetRate'] as const) {
          expect(p[f]).toBeGreaterThanOrEqual(0);
          expect(p[f]).toBeLessThanOrEqual(1);
        }
        expect(p.medianMs).toBeGreaterThanOrEqual(0);
        expect(p.slowMs).toBeGreaterThanOrEqual(0);
        for (const f of PROFILE_FIELDS) {
          const given = (input as Record<string, unknown>)[f];
          expect(p[f]).toBe(Object.hasOwn(input as object, f) ? given : DEFAULT_LATENCY_PROFILE[f]);
        }
      }),
      { numRuns: 300 },
    );
    expect(accepted, `accepted ${accepted} of ${runs}`).toBeGreaterThan(runs / 2);
  });
});
