import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_ON_ERROR_ENV, keptPathSuite } from '../support/kept-path-suite';
import { startTestStack, type TestStack } from '../support/stack';
import { xrayClient } from '../support/traces';
import { expectWholeTrace } from '../support/whole-trace';

/**
 * One stack per tracing backend (or mix of backends) running both checks: the whole 8-hop trace as one
 * tree, then keep-on-error with every sampling rule at rate 0. The default backend runs them in
 * test/local-cloud.test.ts and test/sampling/error-traces.test.ts.
 */
export function tracingBackendSuite(
  title: string,
  env: Record<string, string>,
  backends: { parcelApi: string; warehouseQuery: string },
): void {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ ...KEEP_ON_ERROR_ENV, ...env });
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
  });

  describe(title, () => {
    it('runs each service on the backend its variables chose', async () => {
      for (const [piece, backend] of Object.entries(backends)) {
        const url = stack.endpoints[piece as keyof typeof backends];
        const stats = (await (await fetch(`${url}/__tracing/stats`)).json()) as { backend: string };
        expect(stats.backend, piece).toBe(backend);
      }
    });
    it('serves a cache miss through the whole path as one well-formed trace', async () => {
      const xray = xrayClient(stack.endpoints.xray);
      try {
        await expectWholeTrace(xray, stack.endpoints.gateway);
      } finally {
        xray.destroy();
      }
    });
    keptPathSuite(() => stack);
  });
}
