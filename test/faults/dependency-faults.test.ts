// Fault matrix, dependency side: DynamoDB, PostgreSQL, the vendor (5xx, reset, TLS, timeout) and the state
// machine failing. Each case: what the client sees, what the trace shows, what is counted. And nothing is
// lost that was promised: a 200 from the fan-out means the parcel is in the cache afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { XRayClient } from '@aws-sdk/client-xray';
import { ensureLocalCertificates } from '@parcel/local-resources';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ageCached, dynamoClient, forgetCached, readCacheItem } from '../support/cache-table';
import { drainedDaemonStats } from '../support/daemon-stats';
import { getParcel, type ParcelCall } from '../support/parcel-call';
import { startTestStack, type TestStack } from '../support/stack';
import {
  awsOp,
  causeText,
  describeTrace,
  executions,
  named,
  readTrace,
  type TraceNode,
  vendorCalls,
  xrayClient,
} from '../support/traces';
import { vendorAdmin } from '../support/vendor-admin';

let stack: TestStack;
let xray: XRayClient;
let ddb: DynamoDBClient;

// Generous, so that only the case that asks for slowness times out on a loaded machine.
const VENDOR_TIMEOUT_MS = 1000;
const VENDOR_SLOW_MS = 5000;
/** Parcels known to both sides; each case forgets the one it uses so the request fans out. */
const BOTH = [
  'RR123456785GB',
  'CP987654326DE',
  'RA000000014NL',
  'RB111111115SE',
  'RC222222225ES',
  'RD333333335IT',
  'RE444444445PL',
  'RF555555555BE',
  'RG666666665AT',
  'RJ999999995IE',
  'RK135792461PT',
];

/**
 * Every 200 `miss` answered while DynamoDB was up with a whole vendor answer (ok / not_found): each must be
 * in the cache afterwards. A degraded one (vendor timeout / error) is deliberately not cached, so that it
 * cannot overwrite a good copy (libs/state-machine, parcel-fanout).
 */
const promised: ParcelCall[] = [];

async function missFor(id: string): Promise<ParcelCall> {
  await forgetCached(ddb, id);
  const call = await getParcel(stack, id);
  const whole = call.body.vendorStatus === 'ok' || call.body.vendorStatus === 'not_found';
  if (call.status === 200 && call.body.freshness?.cache === 'miss' && whole) promised.push(call);
  return call;
}

/** Rewrites a cached copy as old (the call that cached it no longer describes the cache). */
async function makeOld(id: string, ageSeconds: number) {
  await ageCached(ddb, id, ageSeconds);
  for (let i = promised.length - 1; i >= 0; i--) if (promised[i]?.body.parcelId === id) promised.splice(i, 1);
}

async function traceOf(call: ParcelCall, complete: (n: TraceNode[]) => boolean): Promise<TraceNode[]> {
  return readTrace(xray, call.traceId, complete, 20_000);
}

const vendorSegment = (nodes: TraceNode[]) =>
  named(nodes, 'warehouse-query').find((n) => String(n.doc.http?.request?.url).includes('/internal/vendor/'));
const warehouseSegments = (nodes: TraceNode[]) =>
  named(nodes, 'warehouse-query').filter((n) =>
    String(n.doc.http?.request?.url).includes('/internal/warehouse/'),
  );

/** A degraded answer was given but not cached. */
async function expectNotCached(call: ParcelCall) {
  expect(await readCacheItem(ddb, call.body.parcelId), `${call.body.parcelId} not cached`).toBeUndefined();
}

/** The cached copy is exactly the parcel the client was given. */
async function expectCached(call: ParcelCall) {
  const item = await readCacheItem(ddb, call.body.parcelId);
  expect(item, `${call.body.parcelId} is cached after a 200 miss`).toBeDefined();
  const { freshness: _f, ...parcel } = call.body;
  expect(JSON.parse(item?.parcel ?? '{}')).toEqual(parcel);
  expect(item?.fetchedAt).toBe(call.body.fetchedAt);
}

beforeAll(async () => {
  // A quick vendor, so only the cases that ask for slowness time out.
  stack = await startTestStack({ VENDOR_MEDIAN_MS: '20', VENDOR_TIMEOUT_MS: String(VENDOR_TIMEOUT_MS) });
  xray = xrayClient(stack.endpoints.xray);
  ddb = dynamoClient(stack);
});
afterEach(async () => {
  await vendorAdmin(stack.endpoints, 'POST', '/__admin/reset');
});
afterAll(async () => {
  ddb?.destroy();
  await stack?.stop();
});

describe('fault matrix: dependencies', () => {
  it('DynamoDB down: served through the state machine; both cache failures recorded in the trace', async () => {
    await stack.stopPiece('dynamodb');
    let call: ParcelCall;
    try {
      call = await getParcel(stack, BOTH[0] as string);
    } finally {
      await stack.startPiece('dynamodb');
    }
    expect(call.status).toBe(200);
    expect(call.body.freshness.cache).toBe('miss');
    expect(call.body.warehouse?.warehouse).toBe('LHR-1');
    expect(call.body.vendorStatus).toBe('ok');

    const nodes = await traceOf(
      call,
      (n) => awsOp(n, 'GetItem').length >= 1 && awsOp(n, 'PutItem').length >= 1 && executions(n).length === 1,
    );
    const trace = describeTrace(nodes);
    const [getItem] = awsOp(nodes, 'GetItem');
    expect(getItem?.segmentName, trace).toBe('parcel-api');
    expect(getItem?.doc.fault, trace).toBe(true);
    expect(causeText(getItem), trace).not.toBe('');
    const [putItem] = awsOp(nodes, 'PutItem');
    expect(putItem?.segmentName, trace).toBe(executions(nodes)[0]?.name);
    expect(putItem?.doc.fault, trace).toBe(true);
    expect(causeText(putItem), trace).not.toBe('');
    // The catch state ran: a cache that cannot be written costs a future miss, not this answer.
    expect(
      nodes.some((n) => n.segmentName === executions(nodes)[0]?.name && n.name === 'CacheWriteFailed'),
      trace,
    ).toBe(true);
    // The request itself succeeded: parcel-api's segment is not a fault.
    expect(named(nodes, 'parcel-api')[0]?.doc.fault ?? false, trace).toBe(false);

    // DynamoDB back (empty): the next answer is cached again.
    const again = await missFor(BOTH[0] as string);
    expect(again.status).toBe(200);
    await expectCached(again);
  });

  it('PostgreSQL down: a cached parcel is served stale, an uncached one gets 502 JSON; fault in the trace', async () => {
    const cachedId = BOTH[1] as string;
    const uncachedId = BOTH[2] as string;
    const first = await missFor(cachedId);
    expect(first.status).toBe(200);
    await expectCached(first);
    await makeOld(cachedId, 3600);
    await forgetCached(ddb, uncachedId);

    await stack.stopPiece('postgres');
    let stale: ParcelCall;
    let uncached: ParcelCall;
    try {
      [stale, uncached] = await Promise.all([getParcel(stack, cachedId), getParcel(stack, uncachedId)]);
    } finally {
      await stack.startPiece('postgres');
    }
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-parcel-stale')).toBe('true');
    expect(Number(stale.headers.get('x-parcel-age-seconds'))).toBeGreaterThanOrEqual(3600);
    expect(stale.body.freshness).toMatchObject({ cache: 'stale', stale: true });
    expect(stale.body.warehouse?.warehouse).toBe('FRA-2');

    expect([502, 503]).toContain(uncached.status);
    expect(uncached.headers.get('content-type')).toMatch(/application\/json/);
    expect(uncached.body.error?.code).toBeTruthy();
    expect(await readCacheItem(ddb, uncachedId)).toBeUndefined();

    for (const call of [stale, uncached]) {
      const nodes = await traceOf(
        call,
        (n) =>
          warehouseSegments(n).length >= 1 &&
          executions(n).length === 1 &&
          named(n, 'parcel-api').length === 1,
      );
      const trace = describeTrace(nodes);
      for (const wq of warehouseSegments(nodes)) {
        expect(wq.doc.fault, trace).toBe(true);
        expect(wq.doc.http?.response?.status, trace).toBe(503);
        // The database error is the recorded cause (on the pg subsegment or the segment itself).
        const pgFault = nodes.find((n) => n.segmentName === 'warehouse-query' && n.doc.sql && n.doc.fault);
        expect(causeText(pgFault ?? wq), trace).toMatch(/ECONNREFUSED|connect|terminat|database/i);
      }
      const [execution] = executions(nodes);
      expect(execution?.doc.fault || execution?.doc.error, trace).toBe(true);
      const api = named(nodes, 'parcel-api')[0];
      expect(api?.doc.annotations?.cache, trace).toBe(call === stale ? 'stale' : 'miss');
    }

    // Database back: the uncached parcel is served and cached.
    const back = await missFor(uncachedId);
    expect(back.status).toBe(200);
    await expectCached(back);
  });

  it('vendor 5xx: warehouse part served, vendorStatus error, vendor subsegment a fault', async () => {
    await vendorAdmin(stack.endpoints, 'PUT', '/__admin/profile', { errorRate: 1 });
    const call = await missFor(BOTH[3] as string);
    expect(call.status).toBe(200);
    expect(call.body.warehouse?.warehouse).toBe('ARN-1');
    expect(call.body.vendor).toBeNull();
    expect(call.body.vendorStatus).toBe('error');
    const stats = (await vendorAdmin(stack.endpoints, 'GET', '/__admin/stats')) as { errored: number };
    expect(stats.errored).toBe(1);

    const nodes = await traceOf(call, (n) => vendorCalls(n).length === 1 && vendorSegment(n) !== undefined);
    const trace = describeTrace(nodes);
    const [vendor] = vendorCalls(nodes);
    expect(vendor?.doc.http?.response?.status, trace).toBe(503);
    expect(vendor?.doc.fault, trace).toBe(true);
    expect(vendorSegment(nodes)?.doc.annotations?.vendor_status, trace).toBe('error');
    expect(named(nodes, 'parcel-api')[0]?.doc.annotations?.vendor_status, trace).toBe('error');
    await expectNotCached(call);
  });

  it('vendor connection reset: warehouse part served, vendorStatus error, fault with ECONNRESET', async () => {
    await vendorAdmin(stack.endpoints, 'PUT', '/__admin/profile', { resetRate: 1 });
    const call = await missFor(BOTH[4] as string);
    expect(call.status).toBe(200);
    expect(call.body.warehouse?.warehouse).toBe('MAD-1');
    expect(call.body.vendorStatus).toBe('error');
    const stats = (await vendorAdmin(stack.endpoints, 'GET', '/__admin/stats')) as { reset: number };
    expect(stats.reset).toBe(1);

    const nodes = await traceOf(call, (n) => vendorCalls(n).length === 1 && vendorSegment(n) !== undefined);
    const trace = describeTrace(nodes);
    const [vendor] = vendorCalls(nodes);
    expect(vendor?.doc.fault, trace).toBe(true);
    expect(causeText(vendor), trace).toMatch(/ECONNRESET|socket hang up/);
    await expectNotCached(call);
  });

  it('vendor timeout: warehouse part served, vendorStatus timeout, fault with the timeout as cause', async () => {
    await vendorAdmin(stack.endpoints, 'PUT', '/__admin/profile', {
      slowFraction: 1,
      slowMs: VENDOR_SLOW_MS,
    });
    const call = await missFor(BOTH[5] as string);
    expect(call.status).toBe(200);
    expect(call.body.warehouse?.warehouse).toBe('MXP-1');
    expect(call.body.vendorStatus).toBe('timeout');
    // Bounded by the hard timeout, not by the vendor's 5 s.
    expect(call.ms).toBeLessThan(VENDOR_SLOW_MS);

    const nodes = await traceOf(call, (n) => vendorCalls(n).length === 1 && vendorSegment(n) !== undefined);
    const trace = describeTrace(nodes);
    const [vendor] = vendorCalls(nodes);
    expect(vendor?.doc.fault, trace).toBe(true);
    expect(causeText(vendor), trace).toMatch(new RegExp(`VendorTimeoutError|within ${VENDOR_TIMEOUT_MS} ms`));
    expect(vendor ? vendor.end - vendor.start : 0, trace).toBeLessThan((VENDOR_TIMEOUT_MS * 2.5) / 1000);
    expect(vendorSegment(nodes)?.doc.http?.response?.status, trace).toBe(504);
    const stats = (await vendorAdmin(stack.endpoints, 'GET', '/__admin/stats')) as {
      slow: number;
      abandoned: number;
    };
    expect(stats.slow).toBe(1);
    await expectNotCached(call);
  });

  it('vendor TLS failure (certificate from a CA warehouse-query does not trust): vendorStatus error', async () => {
    const otherCaDir = mkdtempSync(join(tmpdir(), 'other-ca-'));
    let call: ParcelCall;
    try {
      const other = await ensureLocalCertificates(otherCaDir);
      await stack.startPiece('warehouse-query', { VENDOR_CA_FILE: other.caFile });
      call = await missFor(BOTH[6] as string);
    } finally {
      await stack.startPiece('warehouse-query', { VENDOR_CA_FILE: stack.endpoints.caFile });
      rmSync(otherCaDir, { recursive: true, force: true });
    }
    expect(call.status).toBe(200);
    expect(call.body.warehouse?.warehouse).toBe('WAW-1');
    expect(call.body.vendorStatus).toBe('error');
    const nodes = await traceOf(call, (n) => vendorCalls(n).length === 1 && vendorSegment(n) !== undefined);
    const trace = describeTrace(nodes);
    const [vendor] = vendorCalls(nodes);
    expect(vendor?.doc.fault, trace).toBe(true);
    expect(causeText(vendor), trace).toMatch(/certificate|self.signed|UNABLE_TO_VERIFY/i);
    await expectNotCached(call);

    // The right CA again: the vendor answers.
    const ok = await missFor(BOTH[6] as string);
    expect(ok.body.vendorStatus).toBe('ok');
  });

  it('state machine failing (warehouse-query down): stale copy or 502 JSON; the execution shows the failure', async () => {
    const cachedId = BOTH[7] as string;
    const uncachedId = BOTH[8] as string;
    const first = await missFor(cachedId);
    expect(first.status).toBe(200);
    await makeOld(cachedId, 7200);
    await forgetCached(ddb, uncachedId);

    await stack.stopPiece('warehouse-query');
    let stale: ParcelCall;
    let failed: ParcelCall;
    try {
      [stale, failed] = await Promise.all([getParcel(stack, cachedId), getParcel(stack, uncachedId)]);
    } finally {
      await stack.startPiece('warehouse-query');
    }
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-parcel-stale')).toBe('true');
    expect(stale.body.freshness.cache).toBe('stale');
    expect(failed.status).toBe(502);
    expect(failed.body.error?.code).toBe('fanout_failed');
    expect(failed.body.error?.message).toMatch(/FAILED/);

    for (const call of [stale, failed]) {
      const nodes = await traceOf(
        call,
        (n) =>
          executions(n).length === 1 &&
          named(n, 'parcel-api').length === 1 &&
          awsOp(n, 'StartSyncExecution').length === 1,
      );
      const trace = describeTrace(nodes);
      const [execution] = executions(nodes);
      expect(execution?.doc.fault || execution?.doc.error, trace).toBe(true);
      expect(causeText(execution) || JSON.stringify(execution?.doc.metadata ?? {}), trace).toMatch(
        /ApiGateway\.50[23]|TaskFailed|FAILED/,
      );
      // The warehouse branch was retried: more than one call to /internal/warehouse inside the execution.
      const warehouseCalls = nodes.filter(
        (n) =>
          n.segmentName === execution?.name &&
          String(n.doc.http?.request?.url).includes('/internal/warehouse/'),
      );
      expect(warehouseCalls.length, trace).toBeGreaterThan(1);
      expect(named(nodes, 'warehouse-query'), trace).toHaveLength(0);
      expect(named(nodes, 'parcel-api')[0]?.doc.metadata, trace).toBeDefined();
    }
    expect(await readCacheItem(ddb, uncachedId)).toBeUndefined();
  });

  it('nothing is lost that was promised: every 200 miss is cached, the daemon counters add up', async () => {
    const burst = await Promise.all(
      BOTH.slice(9)
        .concat(BOTH.slice(3, 6))
        .map((id) => missFor(id)),
    );
    for (const call of burst) {
      expect(call.status).toBe(200);
      expect(call.body.vendorStatus, call.body.parcelId).toBe('ok');
    }
    const latest = new Map<string, ParcelCall>();
    for (const call of promised) latest.set(call.body.parcelId, call);
    // The DynamoDB, PostgreSQL and TLS cases' recoveries and the burst.
    expect(latest.size).toBeGreaterThanOrEqual(burst.length + 3);
    for (const call of latest.values()) await expectCached(call);

    const stats = await drainedDaemonStats(stack);
    expect(stats.received).toBe(stats.forwarded + stats.dropped + stats.invalid);
    expect(stats.dropped).toBe(0);
    expect(stats.invalid).toBe(0);
  });
});
