import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIX, gapAfterKeepAlive, runSoak } from './soak/soak';
import { startTestStack, type TestStack } from './support/stack';

/**
 * The short soak CI runs: six bursts of 5 s through the whole stack with idle gaps longer than the
 * services' keep-alive between them (a load balancer idle timeout of 1 s makes that 6 s, so the gaps are
 * short), then the same checks as `npm run soak`. Its own stack: the counters must be its traffic only.
 */
const IDLE_TIMEOUT_SECONDS = 1;
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ LOAD_BALANCER_IDLE_TIMEOUT_SECONDS: String(IDLE_TIMEOUT_SECONDS) });
});
afterAll(async () => {
  await stack?.stop();
});

describe('soak (short)', () => {
  it('answers no 5xx across bursts and idle gaps, every counter adds up, no piece keeps growing', async () => {
    const report = await runSoak(stack, {
      rate: 20,
      seconds: 30,
      burstSeconds: 5,
      gapSeconds: gapAfterKeepAlive(IDLE_TIMEOUT_SECONDS),
      mix: DEFAULT_MIX,
      progressEverySeconds: 5,
      // Half the bursts warm up (V8 grows its heaps in steps at first), then memory at the gaps after them
      // and at the end.
      warmupBursts: 3,
      log: (line) => console.log(`soak │ ${line}`),
    });
    expect(report.latency.count).toBe(600);
    expect(Object.keys(report.latency.statuses).sort()).toEqual(['200', '400', '404']);
    expect(report.problems).toEqual([]);
  }, 300_000);
});
