import { describe, expect, it } from 'vitest';
import { assertLoopback, runOpenLoop } from './open-loop';

describe('runOpenLoop', () => {
  it('starts every request on schedule, not after the last one answered', async () => {
    const started: number[] = [];
    const t0 = performance.now();
    // Each answer takes 200 ms; at 50 a second, 10 requests are all started within about 200 ms.
    const early: number[] = [];
    const { skipped } = await runOpenLoop({ rate: 50, total: 10, maxInFlight: 100 }, async (i, dueAt) => {
      started.push(i);
      if (performance.now() < dueAt) early.push(i);
      await new Promise((r) => setTimeout(r, 200));
    });
    // Never before its time (a timer alone can fire up to a millisecond early by performance.now()).
    expect(early).toEqual([]);
    expect(skipped).toBe(0);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('skips a request due while maxInFlight are open', async () => {
    const { skipped } = await runOpenLoop({ rate: 1000, total: 5, maxInFlight: 2 }, async () => {
      await new Promise((r) => setTimeout(r, 100));
    });
    expect(skipped).toBe(3);
  });
});

describe('assertLoopback', () => {
  it('accepts loopback names and refuses any other host', () => {
    for (const ok of ['http://127.0.0.1:1/', 'http://localhost:1/', 'http://[::1]:1/'])
      expect(() => assertLoopback(new URL(ok), 'the test')).not.toThrow();
    expect(() => assertLoopback(new URL('http://10.0.0.1/'), 'the test')).toThrow(
      /the test sends load to loopback only, not 10.0.0.1/,
    );
  });
});
