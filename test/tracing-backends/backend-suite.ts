import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, forgetCached } from '../support/cache-table';
import { KEEP_ON_ERROR_ENV, keptPathSuite } from '../support/kept-path-suite';
import { useSharedStack } from '../support/shared-stack';
import { xrayClient } from '../support/traces';
import { expectWholeTrace } from '../support/whole-trace';

/**
 * The services that record with the tracing backend. Every other piece reads TRACING_BACKEND only to
 * know whether it is `off` (the stand-ins record with the lean recorder on any other value), so these two
 * restarted with a backend's variables run the stack a whole stack started with them would.
 */
const RECORDING_SERVICES = ['parcel-api', 'warehouse-query'] as const;

/**
 * Each tracing backend (or mix of backends) running both checks: the whole 8-hop trace as one tree, then
 * keep-on-error with every sampling rule at rate 0. The default backend runs them in
 * test/local-cloud.test.ts and test/sampling/error-traces.test.ts. The files share one stack (the
 * keep-on-error one), each restarting the recording services on its backend; they are put back after it.
 */
export function tracingBackendSuite(
  title: string,
  env: Record<string, string>,
  backends: { parcelApi: string; warehouseQuery: string },
): void {
  const stack = useSharedStack(KEEP_ON_ERROR_ENV);
  beforeAll(async () => {
    await Promise.all(RECORDING_SERVICES.map((piece) => stack.startPiece(piece, env)));
    // The whole-trace check needs a miss of its parcel: another file on this stack may have cached it.
    const ddb = dynamoClient(stack);
    await forgetCached(ddb, 'RR123456785GB');
    ddb.destroy();
  }, 120_000);

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
    keptPathSuite(stack);
  });
}
