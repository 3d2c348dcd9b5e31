// Fault matrix, tracing side: the daemon down, black-holed or hung, and the X-Ray service down. Tracing must
// never hurt the request (docs/architecture.md, "Tracing never hurts the request"); what is dropped is
// counted.
import { BatchGetTracesCommand, type XRayClient } from '@aws-sdk/client-xray';
import { newTraceId } from '@parcel/xray-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBlackHole } from '../support/black-hole';
import { dynamoClient, forgetCached } from '../support/cache-table';
import { type daemonStats, drainedDaemonStats } from '../support/daemon-stats';
import { getParcel, median, type ParcelCall } from '../support/parcel-call';
import { useSharedStack } from '../support/shared-stack';
import { awsOp, executions, named, readTrace, type TraceNode, xrayClient } from '../support/traces';

const stack = useSharedStack();
let xray: XRayClient;
/** Cache-hit latencies with everything healthy, measured once, compared loosely (a shared, loaded machine). */
let baselineMs: number;
let baselineBody: unknown;

const HIT = 'CP987654326DE';
/** Parcels known to both sides, fanned out (cache forgotten first) by the cases that need a miss. */
const MISSES = ['RB111111115SE', 'RC222222225ES', 'RD333333335IT', 'RE444444445PL'];
const ROUNDS = 12;

const comparable = (c: ParcelCall) => ({ ...c.body, freshness: undefined });
const wholeMiss = (n: TraceNode[]) =>
  named(n, 'parcel-api').length === 1 &&
  named(n, 'warehouse-query').length === 2 &&
  executions(n).length === 1 &&
  awsOp(n, 'PutItem').length >= 1;

async function hits(rounds = ROUNDS): Promise<ParcelCall[]> {
  const calls: ParcelCall[] = [];
  for (let i = 0; i < rounds; i++) calls.push(await getParcel(stack, HIT));
  return calls;
}

/** Requests are unaffected: same status and body as when healthy, latency not degraded beyond noise. */
function expectUnaffected(calls: ParcelCall[]) {
  for (const c of calls) {
    expect(c.status).toBe(200);
    expect(c.headers.get('x-amzn-trace-id')).toContain(`Root=${c.traceId}`);
    expect(comparable(c)).toEqual(baselineBody);
  }
  // Loose on purpose: a hung sampling call or a blocking send would cost seconds, noise costs a few ms.
  expect(median(calls.map((c) => c.ms))).toBeLessThan(baselineMs * 3 + 100);
}

async function traceIsAbsent(traceId: string) {
  const out = await xray.send(new BatchGetTracesCommand({ TraceIds: [traceId] }));
  return (out.Traces ?? []).every((t) => (t.Segments ?? []).length === 0);
}

function expectCountersAddUp(s: Awaited<ReturnType<typeof daemonStats>>) {
  expect(s.buffered).toBe(0);
  expect(s.inFlight).toBe(0);
  expect(s.received).toBe(s.forwarded + s.dropped + s.invalid);
  expect(s.dropped).toBe(Object.values(s.droppedByReason).reduce((a, b) => a + b, 0));
  expect(s.invalid).toBe(Object.values(s.invalidByReason).reduce((a, b) => a + b, 0));
}

beforeAll(async () => {
  xray = xrayClient(stack.endpoints.xray);
  const ddb = dynamoClient(stack);
  for (const id of MISSES) await forgetCached(ddb, id);
  ddb.destroy();
  const warm = await getParcel(stack, HIT);
  expect(warm.status).toBe(200);
  await hits(3); // warm connections and JIT
  const calls = await hits();
  baselineMs = median(calls.map((c) => c.ms));
  baselineBody = comparable(calls[0] as ParcelCall);
});
afterAll(() => xray?.destroy());

describe('fault matrix: tracing', () => {
  it('daemon down: requests unaffected, their traces simply absent; a restarted daemon is whole again', async () => {
    await stack.stopPiece('xray-daemon');
    let miss: ParcelCall;
    let calls: ParcelCall[];
    try {
      calls = await hits();
      miss = await getParcel(stack, MISSES[0] as string);
    } finally {
      await stack.startPiece('xray-daemon');
    }
    expectUnaffected(calls);
    expect(miss.status).toBe(200);
    expect(miss.body.freshness.cache).toBe('miss');
    expect(miss.body.vendorStatus).toBe('ok');

    // Nothing was listening: nothing of those requests reached the store (no half trace).
    for (const c of [...calls.slice(0, 3), miss]) expect(await traceIsAbsent(c.traceId)).toBe(true);

    // Back: the next miss is traced whole, and the fresh daemon's counters add up.
    const after = await getParcel(stack, MISSES[1] as string);
    expect(after.status).toBe(200);
    await readTrace(xray, after.traceId, wholeMiss);
    expectCountersAddUp(await drainedDaemonStats(stack));
  });

  it('daemon black-holed (alive, never reads UDP, never answers TCP): requests unaffected', async () => {
    await stack.stopPiece('xray-daemon');
    const hole = await startBlackHole(stack.endpoints.daemon);
    let miss: ParcelCall;
    let calls: ParcelCall[];
    try {
      // It is a hole: the TCP side (sampling proxy, health) accepts and never answers.
      await expect(
        fetch(`http://${stack.endpoints.daemon}/health`, { signal: AbortSignal.timeout(300) }),
      ).rejects.toThrow();
      calls = await hits();
      miss = await getParcel(stack, MISSES[2] as string);
    } finally {
      await hole.close();
      await stack.startPiece('xray-daemon');
    }
    expectUnaffected(calls);
    expect(miss.status).toBe(200);
    expect(miss.body.freshness.cache).toBe('miss');
    for (const c of [calls[0] as ParcelCall, miss]) expect(await traceIsAbsent(c.traceId)).toBe(true);

    const after = await getParcel(stack, HIT);
    expect(after.status).toBe(200);
    await readTrace(xray, after.traceId, (n) => named(n, 'parcel-api').length === 1);
  });

  it('daemon hung (paused), then resumed: requests unaffected, queued segments forwarded, nothing lost', async () => {
    const before = await drainedDaemonStats(stack);
    const pid = (await stack.piece('xray-daemon')).pid as number;
    process.kill(pid, 'SIGSTOP');
    let miss: ParcelCall;
    let calls: ParcelCall[];
    try {
      calls = await hits(6);
      miss = await getParcel(stack, MISSES[3] as string);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expectUnaffected(calls);
    expect(miss.status).toBe(200);
    expect(miss.body.freshness.cache).toBe('miss');

    // The kernel held the datagrams while the daemon was stopped; once it runs again they are read,
    // counted and forwarded: the fan-out's trace arrives whole.
    await readTrace(xray, miss.traceId, wholeMiss);
    for (const c of calls) await readTrace(xray, c.traceId, (n) => named(n, 'parcel-api').length === 1);
    const after = await drainedDaemonStats(stack);
    expectCountersAddUp(after);
    expect(after.dropped).toBe(before.dropped);
    expect(after.invalid).toBe(before.invalid);
    expect(after.forwarded).toBeGreaterThan(before.forwarded);
  });

  it('X-Ray service down: the daemon drops what it cannot upload and counts it; back, traces arrive again', async () => {
    const before = await drainedDaemonStats(stack);
    expectCountersAddUp(before);
    await stack.stopPiece('xray-service');
    let calls: ParcelCall[];
    let during: Awaited<ReturnType<typeof daemonStats>>;
    try {
      calls = await hits(6);
      during = await drainedDaemonStats(stack, { timeoutMs: 30_000 });
    } finally {
      await stack.startPiece('xray-service');
    }
    expectUnaffected(calls);

    // Everything received while the service was away was dropped as failed uploads, none forwarded.
    expectCountersAddUp(during);
    const received = during.received - before.received;
    expect(received).toBeGreaterThanOrEqual(calls.length * 2); // at least the stage and parcel-api per request
    expect(during.forwarded).toBe(before.forwarded);
    expect(during.dropped - before.dropped).toBe(received - (during.invalid - before.invalid));
    expect(during.droppedByReason.upload_failed - before.droppedByReason.upload_failed).toBe(
      during.dropped - before.dropped,
    );
    // The log says so too, rate-limited but present.
    expect(stack.logLines('xray-daemon').some((line) => line.includes('PutTraceSegments failed'))).toBe(true);

    // Service back: a new request's trace arrives; the ones sent during the outage are gone, not partial.
    const again = await getParcel(stack, HIT, newTraceId());
    expect(again.status).toBe(200);
    await readTrace(xray, again.traceId, (n) => named(n, 'parcel-api').length === 1);
    expect(await traceIsAbsent((calls[0] as ParcelCall).traceId)).toBe(true);
    const end = await drainedDaemonStats(stack);
    expectCountersAddUp(end);
    expect(end.forwarded).toBeGreaterThan(during.forwarded);
  });
});
