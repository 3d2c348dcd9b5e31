import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_STATE_MACHINE_ARN, readParcelApiConfig } from '@parcel/config';
import {
  CACHE_TTL_ATTRIBUTE,
  type FanoutInput,
  type MergedParcel,
  makeParcelId,
  SAMPLE_PARCELS,
} from '@parcel/contract';
import { findFreePort, type RunningDynalite } from '@parcel/local-resources';
import { type RunningParcelApi, startParcelApi } from '@parcel/parcel-api';
import type { RunningStepFunctions } from '@parcel/step-functions';
import { startRecordingServer, startUdpCollector, type UdpCollector } from '@parcel/test-kit';
import { newSegmentId, newTraceId, type SegmentDoc, type SubsegmentDoc } from '@parcel/xray-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCacheTable } from '../support/cache-table';
import { startQuietStepFunctions } from '../support/step-functions';

const TABLE = 'parcels';
let collector: UdpCollector<SegmentDoc>;
let dynalite: RunningDynalite;
let ddb: DynamoDBClient;
let api: RunningParcelApi; // SFN unreachable
let apiWithSfn: RunningParcelApi; // real Step Functions stand-in whose gateway is down → executions FAIL
let apiNoDynamo: RunningParcelApi; // DynamoDB down too
let sfn: RunningStepFunctions;

const baseEnv = (over: Record<string, string>) =>
  readParcelApiConfig({
    PORT: '0',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    CACHE_TTL_SECONDS: '60',
    LOG_LEVEL: 'silent',
    ...over,
  });

/** parcel-api at this file's collector and table, with `endpoints` (dynalite by default) and `env` over them. */
const apiAt = (endpoints: { sfn: string; dynamodb?: string }, env: Record<string, string> = {}) =>
  startParcelApi(
    baseEnv({
      AWS_XRAY_DAEMON_ADDRESS: collector.address,
      PARCEL_TABLE: TABLE,
      DYNAMODB_ENDPOINT: endpoints.dynamodb ?? dynalite.endpoint,
      SFN_ENDPOINT: endpoints.sfn,
      ...env,
    }),
    { host: '127.0.0.1' },
  );

beforeAll(async () => {
  collector = await startUdpCollector<SegmentDoc>();
  ({ dynalite, ddb } = await startCacheTable(TABLE));
  const deadPort = await findFreePort();
  const deadPort2 = await findFreePort();
  const deadSfn = `http://127.0.0.1:${deadPort}`;
  api = await apiAt({ sfn: deadSfn });
  apiNoDynamo = await apiAt({ sfn: deadSfn, dynamodb: `http://127.0.0.1:${deadPort2}` });
  sfn = await startQuietStepFunctions({
    apiGatewayUrl: `http://127.0.0.1:${deadPort}`,
    dynamodbEndpoint: dynalite.endpoint,
    table: TABLE,
  });
  apiWithSfn = await apiAt({ sfn: sfn.url });
});

afterAll(async () => {
  await Promise.all([api?.close(), apiNoDynamo?.close(), apiWithSfn?.close()]);
  await sfn?.close();
  ddb?.destroy();
  await dynalite?.close();
  await collector?.close();
});

function mergedParcel(id: string, fetchedAt: string): MergedParcel {
  const sample = SAMPLE_PARCELS.find((p) => p.id === id);
  if (!sample?.warehouse) throw new Error(`sample ${id} has no warehouse side`);
  return {
    parcelId: id,
    warehouse: { parcelId: id, ...sample.warehouse, updatedAt: fetchedAt },
    vendor: sample.vendor ? { parcelId: id, ...sample.vendor } : null,
    vendorStatus: sample.vendor ? 'ok' : 'not_found',
    fetchedAt,
  };
}

async function putCached(id: string, ageSeconds: number): Promise<MergedParcel> {
  const fetchedAt = new Date(Date.now() - ageSeconds * 1000).toISOString();
  const parcel = mergedParcel(id, fetchedAt);
  await ddb.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: { parcelId: { S: id }, parcel: { S: JSON.stringify(parcel) }, fetchedAt: { S: fetchedAt } },
    }),
  );
  return parcel;
}

async function get(base: RunningParcelApi, path: string) {
  const root = newTraceId();
  const parent = newSegmentId();
  const res = await fetch(`${base.url}${path}`, {
    headers: { 'x-amzn-trace-id': `Root=${root};Parent=${parent};Sampled=1` },
  });
  const body = (await res.json()) as Record<string, unknown>;
  const [segment] = await collector
    .waitFor((s) => s.some((d) => d.trace_id === root && !d.type), 10_000)
    .then((all) => all.filter((d) => d.trace_id === root));
  return {
    res,
    body,
    root,
    parent,
    segment: segment as SegmentDoc,
    all: collector.segments.filter((d) => d.trace_id === root),
  };
}

function subsegments(doc: SegmentDoc | SubsegmentDoc): (SubsegmentDoc & { parentId: string })[] {
  return (doc.subsegments ?? []).flatMap((s) => [{ ...s, parentId: doc.id }, ...subsegments(s)]);
}

/** Every document the service sent for this request shares the trace and parents correctly. */
function expectWellFormedTrace(r: Awaited<ReturnType<typeof get>>) {
  for (const doc of r.all) expect(doc.trace_id).toBe(r.root);
  expect(r.segment.name).toBe('parcel-api');
  expect(r.segment.parent_id).toBe(r.parent);
  const ids = new Set([r.segment.id, ...subsegments(r.segment).map((s) => s.id)]);
  for (const s of subsegments(r.segment)) expect(ids.has(s.parentId)).toBe(true);
}

describe('GET /parcels/{id}', () => {
  it('answers /health', async () => {
    expect(await (await fetch(`${api.url}/health`)).json()).toEqual({ status: 'ok' });
  });

  it('rejects an invalid id with 400 JSON and an error (not fault) segment', async () => {
    const r = await get(api, `/parcels/${encodeURIComponent("RR1234' OR 1=")}`);
    expect(r.res.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'invalid_parcel_id' } });
    expect(r.segment).toMatchObject({ error: true, http: { response: { status: 400 } } });
    expect(r.segment.fault).toBeUndefined();
    expect(subsegments(r.segment)).toEqual([]);
  });

  it('serves a fresh cache hit without a fan-out', async () => {
    const parcel = await putCached('RR123456785GB', 5);
    const r = await get(api, '/parcels/RR123456785GB');
    expect(r.res.status).toBe(200);
    expect(r.body).toEqual({ ...parcel, freshness: { cache: 'hit', ageSeconds: 5, stale: false } });
    expect(r.segment.annotations).toEqual({ parcel_id: 'RR123456785GB', cache: 'hit', vendor_status: 'ok' });
    const subs = subsegments(r.segment);
    expect(subs.map((s) => s.name)).toEqual(['DynamoDB']);
    expect(subs[0]).toMatchObject({ namespace: 'aws', aws: { operation: 'GetItem', table_name: TABLE } });
    expectWellFormedTrace(r);
  });

  it('serves a stale copy with X-Parcel-Stale when Step Functions is unreachable', async () => {
    const parcel = await putCached('CP987654326DE', 3600);
    const r = await get(api, '/parcels/CP987654326DE');
    expect(r.res.status).toBe(200);
    expect(r.res.headers.get('x-parcel-stale')).toBe('true');
    expect(r.res.headers.get('x-parcel-age-seconds')).toBe('3600');
    expect(r.body).toEqual({ ...parcel, freshness: { cache: 'stale', ageSeconds: 3600, stale: true } });
    expect(r.segment.annotations).toMatchObject({ cache: 'stale' });
    const call = subsegments(r.segment).find((s) => s.name === 'SFN');
    expect(call).toMatchObject({ namespace: 'aws', fault: true });
    expectWellFormedTrace(r);
  });

  it('answers 503 when nothing is cached and Step Functions is unreachable', async () => {
    const r = await get(api, '/parcels/LX314159268US');
    expect(r.res.status).toBe(503);
    expect(r.body).toMatchObject({ error: { code: 'step_functions_unavailable' } });
    expect(r.segment).toMatchObject({
      fault: true,
      annotations: { parcel_id: 'LX314159268US', cache: 'miss' },
    });
    expectWellFormedTrace(r);
  });

  it('shares one fan-out between concurrent misses of the same parcel, and every one gets its answer', async () => {
    const ID = 'RJ999999995IE';
    // The cache read goes through a proxy to dynalite that counts the GetItem answers it passed on.
    let cacheReads = 0;
    const cacheProxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const upstream = await fetch(`${dynalite.endpoint}${req.url}`, {
          method: req.method,
          headers: req.headers as Record<string, string>,
          body: Buffer.concat(chunks),
        });
        const body = Buffer.from(await upstream.arrayBuffer());
        res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
        res.end(body, () => {
          if (String(req.headers['x-amz-target']).endsWith('.GetItem')) cacheReads++;
        });
      });
    });
    // A Step Functions that answers the execution with this parcel, but only once all six requests have
    // had their cache miss: no assumption about how fast six requests arrive on a loaded machine.
    const scripted = await startScriptedSfn(async () => {
      while (cacheReads < 6) await new Promise((r) => setTimeout(r, 20));
      // The sixth miss's answer is on the loopback socket: this turn of the event loop reads it (and the
      // follower joins the flight) before a timer set now can fire.
      await new Promise((r) => setTimeout(r, 50));
      return mergedParcel(ID, new Date().toISOString());
    });
    await new Promise<void>((resolve) => cacheProxy.listen(0, '127.0.0.1', resolve));
    const sharedApi = await apiAt({
      sfn: scripted.url,
      dynamodb: `http://127.0.0.1:${(cacheProxy.address() as AddressInfo).port}`,
    });
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => get(sharedApi, `/parcels/${ID}`)));
      expect(cacheReads).toBe(6);
      expect(scripted.inputs).toHaveLength(1);
      expect(scripted.inputs[0]).toMatchObject({ parcelId: ID });
      for (const r of results) {
        expect(r.res.status).toBe(200);
        expect(r.body).toMatchObject({ parcelId: ID, freshness: { cache: 'miss' }, vendorStatus: 'ok' });
      }
      // One request did the work (its SFN call); five followed it and name the trace that did.
      const leader = results.filter((r) => subsegments(r.segment).some((s) => s.name === 'SFN'));
      expect(leader).toHaveLength(1);
      const followers = results.flatMap((r) =>
        subsegments(r.segment).filter((s) => s.name === 'parcel-fanout (shared)'),
      );
      expect(followers).toHaveLength(5);
      for (const f of followers) {
        const metadata = f.metadata as { default?: Record<string, unknown> } | undefined;
        expect(metadata?.default?.fanout_shared_with).toEqual({ traceId: leader[0]?.root });
      }
      for (const r of results) expectWellFormedTrace(r);
    } finally {
      await sharedApi.close();
      await scripted.close();
      cacheProxy.closeAllConnections();
      cacheProxy.close();
    }
  });

  it('falls through a DynamoDB outage to the fan-out, recording the error on its subsegment', async () => {
    const r = await get(apiNoDynamo, '/parcels/RB111111115SE');
    expect(r.res.status).toBe(503);
    const dynamo = subsegments(r.segment).find((s) => s.name === 'DynamoDB');
    expect(dynamo?.fault).toBe(true);
    expect(dynamo?.cause).toBeDefined();
    expect(subsegments(r.segment).some((s) => s.name === 'SFN')).toBe(true);
    expectWellFormedTrace(r);
  });

  it('answers 502 when the execution fails, and the stale copy when one exists', async () => {
    const failed = await get(apiWithSfn, '/parcels/RC222222225ES');
    expect(failed.res.status).toBe(502);
    expect(failed.body).toMatchObject({ error: { code: 'fanout_failed' } });
    expectWellFormedTrace(failed);
    await putCached('RD333333335IT', 600);
    const stale = await get(apiWithSfn, '/parcels/RD333333335IT');
    expect(stale.res.status).toBe(200);
    expect(stale.res.headers.get('x-parcel-stale')).toBe('true');
    expectWellFormedTrace(stale);
  });
});

/** A Step Functions endpoint that answers every StartSyncExecution with `output`, recording each input. */
async function startScriptedSfn(output: (input: FanoutInput) => MergedParcel | Promise<MergedParcel>) {
  const inputs: FanoutInput[] = [];
  const server = await startRecordingServer(async (req) => {
    const body = JSON.parse(req.body) as { input: string };
    const input = JSON.parse(body.input) as FanoutInput;
    inputs.push(input);
    const answer = await output(input);
    const now = Date.now() / 1000;
    return {
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({
        executionArn: `${LOCAL_STATE_MACHINE_ARN.replace(':stateMachine:', ':express:')}:scripted:${inputs.length}`,
        stateMachineArn: LOCAL_STATE_MACHINE_ARN,
        status: 'SUCCEEDED',
        startDate: now,
        stopDate: now,
        input: body.input,
        output: JSON.stringify(answer),
      }),
    };
  });
  return { url: server.url, inputs, close: server.close };
}

describe('cache lifetime', () => {
  const nobody = (input: FanoutInput): MergedParcel => ({
    parcelId: input.parcelId,
    warehouse: null,
    vendor: null,
    vendorStatus: 'not_found',
    fetchedAt: new Date().toISOString(),
  });

  it("asks the fan-out to write the item's TTL attribute from CACHE_RETENTION_SECONDS", async () => {
    const scripted = await startScriptedSfn(() => mergedParcel('RE444444445PL', new Date().toISOString()));
    const retention = 7200;
    const svc = await apiAt({ sfn: scripted.url }, { CACHE_RETENTION_SECONDS: String(retention) });
    try {
      const before = Math.floor(Date.now() / 1000);
      const r = await get(svc, '/parcels/RE444444445PL');
      const after = Math.floor(Date.now() / 1000);
      expect(r.res.status).toBe(200);
      expect(scripted.inputs).toHaveLength(1);
      const expiresAt = scripted.inputs[0]?.expiresAt ?? 0;
      expect(expiresAt).toBeGreaterThanOrEqual(before + retention);
      expect(expiresAt).toBeLessThanOrEqual(after + retention);
    } finally {
      await svc.close();
      await scripted.close();
    }
  });

  it('reads an item past its expiresAt as absent (DynamoDB deletes expired items only eventually)', async () => {
    const fetchedAt = new Date(Date.now() - 5_000).toISOString();
    await ddb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          parcelId: { S: 'RF555555555BE' },
          parcel: { S: JSON.stringify(mergedParcel('RF555555555BE', fetchedAt)) },
          fetchedAt: { S: fetchedAt },
          [CACHE_TTL_ATTRIBUTE]: { N: String(Math.floor(Date.now() / 1000) - 1) },
        },
      }),
    );
    // Fresh by its age, but expired: no hit, no stale copy; Step Functions is unreachable here.
    const r = await get(api, '/parcels/RF555555555BE');
    expect(r.res.status).toBe(503);
  });

  it('answers repeated lookups of a valid unknown id with one fan-out, and forgets within bounds', async () => {
    const scripted = await startScriptedSfn(nobody);
    const svc = await apiAt(
      { sfn: scripted.url },
      { NOT_FOUND_CACHE_SECONDS: '300', NOT_FOUND_CACHE_ENTRIES: '2' },
    );
    const [a, b, c] = ['ZQ00000011GB', 'ZQ00000022GB', 'ZQ00000033GB'].map((p) =>
      makeParcelId(p.slice(0, 2), p.slice(2, 10), p.slice(-2)),
    ) as [string, string, string];
    try {
      for (let i = 0; i < 5; i++) {
        const r = await get(svc, `/parcels/${a}`);
        expect(r.res.status).toBe(404);
        expect(r.body).toMatchObject({ error: { code: 'parcel_not_found' } });
        expect(r.segment.annotations).toMatchObject({ cache: i === 0 ? 'miss' : 'hit' });
      }
      expect(scripted.inputs.map((x) => x.parcelId)).toEqual([a]);
      // Bounded: two more unknown ids push the first one out, so it costs a fan-out again.
      await get(svc, `/parcels/${b}`);
      await get(svc, `/parcels/${c}`);
      await get(svc, `/parcels/${c}`);
      await get(svc, `/parcels/${a}`);
      expect(scripted.inputs.map((x) => x.parcelId)).toEqual([a, b, c, a]);
    } finally {
      await svc.close();
      await scripted.close();
    }
  });
});
