import { seededRandom } from '@parcel/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_TRACES, LatencyWindow, MAX_EMF_VALUES } from './latency-window';

const request = fc.record({
  ms: fc.oneof(fc.double({ min: 0, max: 60_000, noNaN: true }), fc.constantFrom(Number.NaN, -1, Infinity)),
  traceId: fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }),
});

describe('LatencyWindow', () => {
  it('any interval: exact count, at most 100 values, each one recorded, the slowest traced first', () => {
    fc.assert(
      fc.property(fc.array(request, { maxLength: 400 }), fc.integer(), (requests, seed) => {
        const window = new LatencyWindow(seededRandom(seed));
        for (const r of requests) window.record(r.ms, r.traceId);
        const valid = requests.filter((r) => Number.isFinite(r.ms) && r.ms >= 0);
        const summary = window.drain();
        if (valid.length === 0) {
          expect(summary).toBeUndefined();
          return;
        }
        expect(summary?.count).toBe(valid.length);
        const values = summary?.values ?? [];
        expect(values.length).toBe(Math.min(valid.length, MAX_EMF_VALUES));
        // A sample of what was recorded (as a multiset), never an invented value.
        const left = valid.map((r) => r.ms);
        for (const v of values) {
          const at = left.indexOf(v);
          expect(at).toBeGreaterThanOrEqual(0);
          left.splice(at, 1);
        }
        if (valid.length <= MAX_EMF_VALUES) expect(values).toEqual(valid.map((r) => r.ms));
        // The examples: traced requests only, the slowest first, no faster one left out for a slower pick.
        const traced = valid.filter((r) => r.traceId !== undefined);
        const examples = summary?.slowestTraceIds ?? [];
        expect(examples.length).toBe(Math.min(traced.length, EXAMPLE_TRACES));
        const slowestMs = [...traced].sort((a, b) => b.ms - a.ms).map((r) => r.ms);
        const pickedMs = examples.map((_, i) => slowestMs[i]);
        expect(pickedMs).toEqual(slowestMs.slice(0, examples.length));
        // Drained: the next interval starts empty.
        expect(window.drain()).toBeUndefined();
      }),
    );
  });

  it('names the slowest traced requests, slowest first', () => {
    const window = new LatencyWindow();
    for (const [ms, id] of [
      [5, 'a'],
      [90, 'b'],
      [700, undefined],
      [40, 'c'],
      [300, 'd'],
      [1, 'e'],
      [120, 'f'],
      [80, 'g'],
    ] as const)
      window.record(ms, id);
    expect(window.drain()?.slowestTraceIds).toEqual(['d', 'f', 'b', 'g', 'c']);
  });

  it('at a high rate the sample stays uniform: its median estimates the interval’s', () => {
    const window = new LatencyWindow(seededRandom(42));
    // 30,000 requests (3,000/s over 10 s), latencies 0..29,999 ms in arrival order: a sample that favoured
    // early or late arrivals would have its median far from 15,000.
    for (let i = 0; i < 30_000; i++) window.record(i);
    const values = [...(window.drain()?.values ?? [])].sort((a, b) => a - b);
    expect(values).toHaveLength(MAX_EMF_VALUES);
    const median = values[50] as number;
    expect(Math.abs(median - 15_000)).toBeLessThan(4_500);
  });
});
