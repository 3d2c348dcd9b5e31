import type { XRayClient } from '@aws-sdk/client-xray';
import type { ParcelResponse } from '@parcel/contract';
import { parseTraceHeader } from '@parcel/xray-protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, forgetCached } from './cache-table';
import { timeUntil, updateRule } from './sampling';
import type { SharedStack } from './shared-stack';
import {
  byOrigin,
  causeText,
  describeTrace,
  executions,
  named,
  readTrace,
  segments,
  type TraceNode,
  vendorCalls,
  xrayClient,
} from './traces';
import { vendorAdmin } from './vendor-admin';

/**
 * "No error trace is lost": with every sampling rule at rate 0 / reservoir 0, a request that ends in a 5xx,
 * and one whose vendor timed out although the client got a 200, still leave their path in the store — each
 * hop's segment annotated `trace_kept`, every parent resolving inside the trace.
 */
const VENDOR_TIMEOUT_MS = 400;

/**
 * The stack the suite needs, shared by every file that runs it (each tracing backend restarts the two
 * services that record with it: test/tracing-backends/backend-suite.ts).
 */
export const KEEP_ON_ERROR_ENV = {
  VENDOR_MEDIAN_MS: '20',
  VENDOR_TIMEOUT_MS: String(VENDOR_TIMEOUT_MS),
  // Latency keeping off here: on a loaded machine a 1 s threshold would keep these paths for latency and
  // hide whether the error / downstream propagation works (latency keeping has its own unit tests).
  TRACE_KEEP_SLOW_MS: '0',
  // The gateway takes its quotas every second instead of the SDKs' 10 s, so the rate 0 the suite sets
  // applies within a second (the X-Ray service answers exactly as it would at 10 s).
  SAMPLING_TARGETS_INTERVAL_MS: '1000',
};
const STAGE = 'AWS::ApiGateway::Stage';
/** Fetched with PostgreSQL down: a 5xx. */
const FAILING_ID = 'RC222222225ES';
/** Fetched with the vendor slower than its timeout: a 200 without the vendor's part. */
const TIMING_OUT_ID = 'RB111111115SE';

let stack: SharedStack;
let xray: XRayClient;

interface Call {
  status: number;
  headers: Headers;
  body: ParcelResponse & { vendorStatus?: string };
  traceId: string;
}

/**
 * A client request without a trace header: the edge decides, and with every rule at 0 it decides "no".
 * A request that still came back sampled (the 1/s a sampler borrows while its quota is being renewed) is
 * retried: these cases are about the unsampled ones, and nothing they do is cached, so a retry is the same.
 */
async function unsampledGet(id: string): Promise<Call> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = await fetch(`${stack.endpoints.gateway}/parcels/${id}`);
    const body = (await res.json()) as Call['body'];
    const header = parseTraceHeader(res.headers.get('x-amzn-trace-id') ?? undefined);
    if (header?.sampled === '0')
      return { status: res.status, headers: res.headers, body, traceId: header.root };
    await new Promise((r) => setTimeout(r, 1_100));
  }
  throw new Error(`GET /parcels/${id} was sampled three times in a row with every rule at rate 0`);
}

/** Every node's parent is in the trace, except the one root: the edge stage segment. */
function expectLinkedTree(nodes: TraceNode[]) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const trace = describeTrace(nodes);
  const roots = nodes.filter((n) => n.parentId === undefined);
  expect(
    roots.map((n) => n.name),
    trace,
  ).toHaveLength(1);
  expect(roots[0]?.doc.origin, trace).toBe(STAGE);
  for (const n of nodes) {
    if (n.parentId !== undefined) expect(byId.has(n.parentId), `parent of ${n.name}\n${trace}`).toBe(true);
  }
  for (const s of segments(nodes)) {
    expect(s.doc.annotations?.trace_kept, `${s.name} carries trace_kept\n${trace}`).toMatch(
      /^(error|latency|downstream)$/,
    );
  }
}

const edgeOf = (nodes: TraceNode[]) => byOrigin(nodes, STAGE).find((n) => n.parentId === undefined);
const internalStages = (nodes: TraceNode[], route: 'warehouse' | 'vendor') =>
  byOrigin(nodes, STAGE).filter((n) => String(n.doc.http?.request?.url).includes(`/internal/${route}/`));
const warehouseQuery = (nodes: TraceNode[], route: 'warehouse' | 'vendor') =>
  named(nodes, 'warehouse-query').filter((n) =>
    String(n.doc.http?.request?.url).includes(`/internal/${route}/`),
  );
const faultedChildren = (nodes: TraceNode[], parent: TraceNode) =>
  nodes.filter((n) => n.kind === 'subsegment' && n.segmentName === parent.name && n.doc.fault);

/**
 * An unsampled call's kept path, read back once every hop down to `route`'s internal stage has arrived and
 * `reachedLeaf` (what the case must reach below it) holds.
 */
const readKeptPath = (
  traceId: string,
  route: 'warehouse' | 'vendor',
  reachedLeaf: (n: TraceNode[]) => boolean,
) =>
  readTrace(
    xray,
    traceId,
    (n) =>
      edgeOf(n) !== undefined &&
      named(n, 'parcel-api').length > 0 &&
      executions(n).length > 0 &&
      internalStages(n, route).length > 0 &&
      reachedLeaf(n),
    20_000,
  );

type Stats = { kept: Record<'error' | 'latency' | 'downstream', number>; discarded: number };
const stats = async (url: string) => (await (await fetch(url)).json()) as Stats;

/**
 * The keep-on-error cases, run on the shared KEEP_ON_ERROR_ENV stack (once per tracing backend): sets
 * every sampling rule to rate 0 first, so whatever the stack was used for before, it samples nothing after.
 */
export function keptPathSuite(shared: SharedStack): void {
  describe('keep-on-error, end to end, with every rule at rate 0', () => {
    beforeAll(async () => {
      stack = shared;
      xray = xrayClient(stack.endpoints.xray);
      // The cases need a fan-out: a run of the suite before this one on the shared stack cached them.
      const ddb = dynamoClient(stack);
      for (const id of [FAILING_ID, TIMING_OUT_ID]) await forgetCached(ddb, id);
      ddb.destroy();
      await Promise.all(
        ['parcel-api', 'Default'].map((rule) => updateRule(xray, stack.endpoints.xray, rule, 0, 0)),
      );
      // Rate 0 takes effect at the gateway's next SamplingTargets report (≤ 1 s here); until then it borrows 1/s.
      // Probe a cached parcel (the cheap path) until nothing has been sampled for 2.5 s.
      const probeUrl = `${stack.endpoints.gateway}/parcels/RR123456785GB`;
      expect((await fetch(probeUrl)).status).toBe(200);
      let quietSince = Date.now();
      await timeUntil(
        () => Date.now() - quietSince > 2_500,
        40_000,
        () => 'the gateway kept sampling after every rule was set to rate 0',
        async () => {
          const res = await fetch(probeUrl);
          await res.arrayBuffer();
          if (parseTraceHeader(res.headers.get('x-amzn-trace-id') ?? undefined)?.sampled !== '0') {
            quietSince = Date.now();
          }
        },
      );
    }, 180_000);

    it('a 5xx (PostgreSQL down, nothing cached) keeps the edge → parcel-api → execution → gateway → warehouse-query path', async () => {
      const gatewayBefore = await stats(`${stack.endpoints.gateway}/__gateway/stats`);
      const executionsBefore = await stats(`${stack.endpoints.stepFunctions}/__stepfunctions/stats`);
      await stack.stopPiece('postgres');
      let call: Call;
      try {
        call = await unsampledGet(FAILING_ID);
      } finally {
        await stack.startPiece('postgres');
      }
      expect(call.status).toBeGreaterThanOrEqual(500);
      expect(call.headers.get('x-trace-kept'), 'clients never see X-Trace-Kept').toBeNull();

      const nodes = await readKeptPath(
        call.traceId,
        'warehouse',
        (n) => warehouseQuery(n, 'warehouse').length > 0,
      );
      const trace = describeTrace(nodes);
      expectLinkedTree(nodes);
      expect(edgeOf(nodes)?.doc, trace).toMatchObject({ fault: true, annotations: { trace_kept: 'error' } });
      expect(named(nodes, 'parcel-api')[0]?.doc.annotations?.trace_kept, trace).toBe('error');
      expect(executions(nodes)[0]?.doc, trace).toMatchObject({
        annotations: { trace_kept: 'error', execution_status: 'FAILED' },
      });
      expect(internalStages(nodes, 'warehouse')[0]?.doc.annotations?.trace_kept, trace).toBe('error');
      const wq = warehouseQuery(nodes, 'warehouse')[0] as TraceNode;
      expect(wq.doc.annotations?.trace_kept, trace).toBe('error');
      // The failure itself is there, with its cause. With the database down the pool's connect fails before
      // any query runs, so the recorder puts the cause on the segment (a failed query gets a faulted SQL
      // subsegment): accept either, but it must name the refused connection.
      expect(wq.doc.fault, trace).toBe(true);
      const why = [wq, ...faultedChildren(nodes, wq)].map(causeText).join(' ');
      expect(why, trace).toMatch(/ECONNREFUSED/);

      const gatewayAfter = await stats(`${stack.endpoints.gateway}/__gateway/stats`);
      expect(gatewayAfter.kept.error, 'edge + internal stages counted').toBeGreaterThanOrEqual(
        gatewayBefore.kept.error + 2,
      );
      expect(
        (await stats(`${stack.endpoints.stepFunctions}/__stepfunctions/stats`)).kept.error,
        'the execution counted',
      ).toBeGreaterThan(executionsBefore.kept.error);
    });

    it('a vendor timeout absorbed into a 200 keeps the path down to the vendor subsegment', async () => {
      await vendorAdmin(stack.endpoints, 'PUT', '/__admin/profile', {
        slowFraction: 1,
        slowMs: VENDOR_TIMEOUT_MS * 4,
      });
      let call: Call;
      try {
        call = await unsampledGet(TIMING_OUT_ID);
      } finally {
        await vendorAdmin(stack.endpoints, 'POST', '/__admin/reset');
      }
      expect(call.status).toBe(200);
      expect(call.body.vendorStatus).toBe('timeout');
      expect(call.headers.get('x-trace-kept'), 'clients never see X-Trace-Kept').toBeNull();

      const nodes = await readKeptPath(call.traceId, 'vendor', (n) => vendorCalls(n).length > 0);
      const trace = describeTrace(nodes);
      expectLinkedTree(nodes);
      // The 200 hops are kept because of what is below them; the hops that failed, or whose own call failed
      // (the execution's vendor task, caught), say error.
      expect(edgeOf(nodes)?.doc.annotations?.trace_kept, trace).toBe('downstream');
      expect(edgeOf(nodes)?.doc.fault, trace).toBeUndefined();
      expect(named(nodes, 'parcel-api')[0]?.doc.annotations?.trace_kept, trace).toBe('downstream');
      expect(executions(nodes)[0]?.doc.annotations, trace).toMatchObject({
        trace_kept: 'error',
        execution_status: 'SUCCEEDED',
      });
      expect(internalStages(nodes, 'vendor')[0]?.doc, trace).toMatchObject({
        fault: true,
        annotations: { trace_kept: 'error' },
      });
      expect(warehouseQuery(nodes, 'vendor')[0]?.doc.annotations?.trace_kept, trace).toBe('error');
      const [vendor] = vendorCalls(nodes);
      expect(vendor?.doc.fault, trace).toBe(true);
      expect(causeText(vendor), trace).toMatch(/timeout|within/i);
    });
  });
}
