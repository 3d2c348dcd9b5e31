import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { readParcelApiConfig } from '@parcel/config';
import { type MergedParcel, SAMPLE_PARCELS, type WarehousePart } from '@parcel/contract';
import type { RunningDynalite } from '@parcel/local-resources';
import { type RunningParcelApi, startParcelApi } from '@parcel/parcel-api';
import type { RunningStepFunctions } from '@parcel/step-functions';
import { startUdpCollector, type UdpCollector } from '@parcel/test-kit';
import { newSegmentId, newTraceId, type SegmentDoc } from '@parcel/xray-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCacheTable } from '../support/cache-table';
import { startQuietStepFunctions } from '../support/step-functions';

/**
 * The vendor degrades while a good copy is cached: parcel-api answers the copy, marked stale, and counts it
 * in EMF. Real dynalite, the real Step Functions stand-in running the shared ASL; the internal API it calls
 * is a small HTTP server answering as the gateway does when warehouse-query's vendor call times out (504)
 * or fails (500), so each case is exact and instant.
 */
const TABLE = 'parcels-stale';
let collector: UdpCollector<SegmentDoc>;
let dynalite: RunningDynalite;
let ddb: DynamoDBClient;
let sfn: RunningStepFunctions;
let api: RunningParcelApi;
let internalApi: Server;
const emf: string[] = [];

/** How the internal vendor route answers, per parcel id (the warehouse part always answers 200). */
const vendorAnswer = new Map<string, number>();

const sample = (id: string) => {
  const s = SAMPLE_PARCELS.find((p) => p.id === id);
  if (!s?.warehouse || !s.vendor) throw new Error(`sample ${id} needs both sides`);
  return { warehouse: s.warehouse, vendor: s.vendor };
};
const warehousePart = (id: string): WarehousePart => ({
  parcelId: id,
  ...sample(id).warehouse,
  updatedAt: '2026-11-20T08:15:00.000Z',
});

beforeAll(async () => {
  collector = await startUdpCollector<SegmentDoc>();
  ({ dynalite, ddb } = await startCacheTable(TABLE));
  internalApi = createServer((req, res) => {
    const m = /\/internal\/(warehouse|vendor)\/([^/?]+)$/.exec(req.url ?? '');
    const id = decodeURIComponent(m?.[2] ?? '');
    if (m?.[1] === 'warehouse') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(warehousePart(id)));
      return;
    }
    const status = vendorAnswer.get(id) ?? 200;
    const body =
      status === 200
        ? { parcelId: id, ...sample(id).vendor, events: [] }
        : { message: status === 504 ? 'vendor timeout' : 'vendor failed' };
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => internalApi.listen(0, '127.0.0.1', r));
  const internalUrl = `http://127.0.0.1:${(internalApi.address() as AddressInfo).port}`;
  sfn = await startQuietStepFunctions({
    apiGatewayUrl: internalUrl,
    dynamodbEndpoint: dynalite.endpoint,
    table: TABLE,
  });
  api = await startParcelApi(
    readParcelApiConfig({
      PORT: '0',
      AWS_XRAY_DAEMON_ADDRESS: collector.address,
      CACHE_TTL_SECONDS: '60',
      LOG_LEVEL: 'silent',
      PARCEL_TABLE: TABLE,
      DYNAMODB_ENDPOINT: dynalite.endpoint,
      SFN_ENDPOINT: sfn.url,
    }),
    { host: '127.0.0.1', metricsWriter: (line) => emf.push(line) },
  );
});

afterAll(async () => {
  await api?.close();
  await sfn?.close();
  await new Promise<void>((r) => (internalApi ? internalApi.close(() => r()) : r()));
  ddb?.destroy();
  await dynalite?.close();
  await collector?.close();
});

async function putCached(id: string, ageSeconds: number): Promise<MergedParcel> {
  const fetchedAt = new Date(Date.now() - ageSeconds * 1000).toISOString();
  const parcel: MergedParcel = {
    parcelId: id,
    warehouse: warehousePart(id),
    vendor: { parcelId: id, ...sample(id).vendor, events: [] },
    vendorStatus: 'ok',
    fetchedAt,
  };
  await ddb.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: { parcelId: { S: id }, parcel: { S: JSON.stringify(parcel) }, fetchedAt: { S: fetchedAt } },
    }),
  );
  return parcel;
}

async function cachedParcel(id: string): Promise<MergedParcel | undefined> {
  const out = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { parcelId: { S: id } } }));
  return out.Item?.parcel?.S ? (JSON.parse(out.Item.parcel.S) as MergedParcel) : undefined;
}

async function get(id: string) {
  const root = newTraceId();
  const res = await fetch(`${api.url}/parcels/${id}`, {
    headers: { 'x-amzn-trace-id': `Root=${root};Parent=${newSegmentId()};Sampled=1` },
  });
  const body = (await res.json()) as Record<string, unknown>;
  const all = await collector.waitFor((s) => s.some((d) => d.trace_id === root && !d.type), 10_000);
  const segment = all.find((d) => d.trace_id === root && !d.type) as SegmentDoc;
  return { res, body, root, segment };
}

const emfFor = (parcelId: string) =>
  emf.map((l) => JSON.parse(l) as Record<string, unknown>).filter((d) => d.parcelId === parcelId);

describe('vendor degraded, cached copy present', () => {
  it.each([
    [504, 'timeout', 'RR123456785GB'],
    [500, 'error', 'CP987654326DE'],
  ] as const)(
    'vendor %i: the cached copy, marked stale; vendor_stale counted; cache kept',
    async (status, vendorStatus, id) => {
      vendorAnswer.set(id, status);
      const copy = await putCached(id, 3600);
      const r = await get(id);

      expect(r.res.status).toBe(200);
      expect(r.res.headers.get('x-parcel-stale')).toBe('true');
      const age = Number(r.res.headers.get('x-parcel-age-seconds'));
      expect(age).toBeGreaterThanOrEqual(3600);
      expect(age).toBeLessThan(3600 + 10);
      expect(r.body).toEqual({ ...copy, freshness: { cache: 'stale', ageSeconds: age, stale: true } });
      // The trace says why: the vendor's status now, not the copy's.
      expect(r.segment.annotations).toMatchObject({
        parcel_id: id,
        cache: 'stale',
        vendor_status: vendorStatus,
      });

      await new Promise((r) => setImmediate(r));
      const lines = emfFor(id);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        vendor_stale: 1,
        vendorStatus,
        ageSeconds: age,
        traceId: r.root,
        _aws: { CloudWatchMetrics: [{ Namespace: 'ParcelTracking', Dimensions: [[]] }] },
      });
      // The degraded fan-out did not overwrite the good copy.
      expect(await cachedParcel(id)).toEqual(copy);
    },
  );

  it('without a cached copy: the warehouse part with the vendor absent, not counted, not cached', async () => {
    const id = 'RC222222225ES';
    vendorAnswer.set(id, 504);
    const r = await get(id);
    expect(r.res.status).toBe(200);
    expect(r.res.headers.get('x-parcel-stale')).toBeNull();
    expect(r.body).toMatchObject({
      parcelId: id,
      warehouse: warehousePart(id),
      vendor: null,
      vendorStatus: 'timeout',
      freshness: { cache: 'miss', stale: false },
    });
    expect(r.segment.annotations).toMatchObject({ cache: 'miss', vendor_status: 'timeout' });
    expect(emfFor(id)).toEqual([]);
    expect(await cachedParcel(id)).toBeUndefined();
  });

  it('vendor healthy again: the fresh parcel replaces the copy, nothing counted', async () => {
    const id = 'RB111111115SE';
    vendorAnswer.delete(id);
    await putCached(id, 3600);
    const r = await get(id);
    expect(r.res.status).toBe(200);
    expect(r.res.headers.get('x-parcel-stale')).toBeNull();
    expect(r.body).toMatchObject({ vendorStatus: 'ok', freshness: { cache: 'miss', stale: false } });
    expect(emfFor(id)).toEqual([]);
    expect((await cachedParcel(id))?.fetchedAt).toBe(r.body.fetchedAt);
  });
});
