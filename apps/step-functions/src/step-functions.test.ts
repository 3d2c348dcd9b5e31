import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  LOCAL_STATE_MACHINE_ARN,
  readStepFunctionsConfig,
} from '@parcel/config';
import type { FanoutInput, MergedParcel } from '@parcel/contract';
import { ensureParcelTable, type RunningDynalite, startDynalite } from '@parcel/local-resources';
import { hasAwsCli, startUdpCollector, toolPresent, type UdpCollector } from '@parcel/test-kit';
import { createLogger } from '@parcel/tracing/logger';
import {
  newSegmentId,
  newTraceId,
  parseTraceHeader,
  type SegmentDoc,
  type SubsegmentDoc,
} from '@parcel/xray-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningStepFunctions, startStepFunctions } from './server';
import { type Answer, startFakeUpstream } from './testing/fake-upstream';

const STAGE = 'local';
const TABLE = 'parcels-sfn-test';
const warehouse = (id: string) => ({
  parcelId: id,
  status: 'dispatched',
  warehouse: 'LHR-1',
  weightGrams: 1200,
  updatedAt: '2026-11-20T08:15:00.000Z',
});
const vendor = (id: string) => ({
  parcelId: id,
  carrier: 'Royal Mail',
  status: 'in_transit',
  estimatedDelivery: '2026-12-02',
  events: [],
});

/** What the upstream answers per parcel id: [warehouse, vendor]. */
const SCRIPT: Record<string, [Answer, Answer]> = {
  RR123456785GB: [
    { status: 200, body: warehouse('RR123456785GB') },
    { status: 200, body: vendor('RR123456785GB') },
  ],
  LX314159268US: [
    { status: 200, body: warehouse('LX314159268US') },
    { status: 404, body: { message: 'not found' } },
  ],
  TO000000001XX: [
    { status: 200, body: warehouse('TO000000001XX') },
    { status: 504, body: { message: 'vendor timeout' } },
  ],
  ER000000002XX: [
    { status: 200, body: warehouse('ER000000002XX') },
    { status: 500, body: { message: 'boom' } },
  ],
  EE271828189FR: [
    { status: 404, body: { message: 'unknown' } },
    { status: 404, body: { message: 'unknown' } },
  ],
  WH000000003XX: [
    { status: 500, body: { message: 'db down' } },
    { status: 200, body: vendor('WH000000003XX') },
  ],
  // The gateway kept its segment (say the warehouse query was slow) though it answered 200.
  KP000000004XX: [
    { status: 200, body: warehouse('KP000000004XX'), headers: { 'x-trace-kept': 'latency' } },
    { status: 200, body: vendor('KP000000004XX') },
  ],
};

let ddb: RunningDynalite;
let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
let collector: UdpCollector<SegmentDoc>;
let sfn: RunningStepFunctions;
let client: SFNClient;
let dynamo: DynamoDBClient;
const sleeps: number[] = [];

beforeAll(async () => {
  [ddb, upstream, collector] = await Promise.all([
    startDynalite(),
    startFakeUpstream({
      stage: STAGE,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      answer: (route, id) => SCRIPT[id]?.[route === 'warehouse' ? 0 : 1] ?? { status: 404 },
    }),
    startUdpCollector<SegmentDoc>(),
  ]);
  await ensureParcelTable({ endpoint: ddb.endpoint, region: LOCAL_REGION, tableName: TABLE });
  const config = readStepFunctionsConfig({
    PORT: '0',
    API_GATEWAY_URL: upstream.url,
    STAGE_NAME: STAGE,
    DYNAMODB_ENDPOINT: ddb.endpoint,
    PARCEL_TABLE: TABLE,
    AWS_XRAY_DAEMON_ADDRESS: collector.address,
    AWS_REGION: LOCAL_REGION,
    ...LOCAL_ENV,
  });
  sfn = await startStepFunctions(config, {
    logger: createLogger({ level: 'silent' }),
    // Retry waits are recorded instead of waited out: the suite stays fast, the backoff stays checked.
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  client = new SFNClient({
    endpoint: sfn.url,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    disableHostPrefix: true,
  });
  dynamo = new DynamoDBClient({
    endpoint: ddb.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
});

const LOCAL_ENV = {
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
};

afterAll(async () => {
  client?.destroy();
  dynamo?.destroy();
  await sfn?.close();
  await Promise.all([ddb?.close(), upstream?.close(), collector?.close()]);
});

/** The cache item's expiry parcel-api would send (epoch seconds, a day from now). */
const EXPIRES_AT = Math.floor(Date.now() / 1000) + 86_400;

async function fanout(parcelId: string, traceHeader?: string) {
  return client.send(
    new StartSyncExecutionCommand({
      stateMachineArn: LOCAL_STATE_MACHINE_ARN,
      input: JSON.stringify({ parcelId, expiresAt: EXPIRES_AT } satisfies FanoutInput),
      traceHeader,
    }),
  );
}

async function cached(parcelId: string) {
  const out = await dynamo.send(new GetItemCommand({ TableName: TABLE, Key: { parcelId: { S: parcelId } } }));
  return out.Item;
}

describe('StartSyncExecution of parcel-fanout', () => {
  it('merges both parts, caches the contract item, answers as the real API does', async () => {
    const out = await fanout('RR123456785GB');
    expect(out.status).toBe('SUCCEEDED');
    expect(out.executionArn).toMatch(
      /^arn:aws:states:us-east-1:000000000000:express:parcel-fanout:[^:]+:[^:]+$/,
    );
    expect(out.stateMachineArn).toBe(LOCAL_STATE_MACHINE_ARN);
    expect(out.startDate).toBeInstanceOf(Date);
    expect(out.stopDate?.getTime()).toBeGreaterThanOrEqual(out.startDate?.getTime() ?? Number.NaN);
    expect(out.billingDetails?.billedDurationInMilliseconds).toBeGreaterThanOrEqual(100);
    expect(JSON.parse(out.input ?? '')).toEqual({ parcelId: 'RR123456785GB', expiresAt: EXPIRES_AT });
    const parcel = JSON.parse(out.output ?? '') as MergedParcel;
    expect(parcel).toEqual({
      parcelId: 'RR123456785GB',
      warehouse: warehouse('RR123456785GB'),
      vendor: vendor('RR123456785GB'),
      vendorStatus: 'ok',
      fetchedAt: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(parcel.fetchedAt))).toBe(false);

    const item = await cached('RR123456785GB');
    expect(item).toEqual({
      parcelId: { S: 'RR123456785GB' },
      parcel: { S: expect.any(String) },
      fetchedAt: { S: parcel.fetchedAt },
      // The table's TTL attribute, from the caller's retention setting: DynamoDB deletes the item after it.
      expiresAt: { N: String(EXPIRES_AT) },
    });
    expect(JSON.parse(item?.parcel?.S ?? '')).toEqual(parcel);

    // Both internal calls were SigV4-signed for execute-api and reached /{stage}/internal/….
    const calls = upstream.received.filter((r) => r.path.endsWith('/RR123456785GB'));
    expect(calls.map((c) => c.path).sort()).toEqual([
      '/local/internal/vendor/RR123456785GB',
      '/local/internal/warehouse/RR123456785GB',
    ]);
    for (const c of calls) {
      expect(c.signatureValid).toBe(true);
      expect(String(c.headers.authorization)).toContain('/us-east-1/execute-api/aws4_request');
    }
  });

  it('vendor 404 → vendorStatus not_found, warehouse part kept and cached (an answer worth keeping)', async () => {
    const out = await fanout('LX314159268US');
    expect(out.status).toBe('SUCCEEDED');
    const parcel = JSON.parse(out.output ?? '') as MergedParcel;
    expect(parcel.vendorStatus).toBe('not_found');
    expect(parcel.vendor).toBeNull();
    expect(parcel.warehouse).toEqual(warehouse('LX314159268US'));
    expect(JSON.parse((await cached('LX314159268US'))?.parcel?.S ?? '')).toEqual(parcel);
  });

  it.each([
    ['TO000000001XX', 'timeout'],
    ['ER000000002XX', 'error'],
  ])(
    'vendor failure of %s → vendorStatus %s, warehouse part output, cache left alone',
    async (id, status) => {
      // A good copy cached earlier must survive the degraded fan-out (parcel-api serves it, marked stale).
      const good = JSON.stringify({ parcelId: id, vendorStatus: 'ok', marker: 'good copy' });
      const item = { parcelId: { S: id }, parcel: { S: good }, fetchedAt: { S: '2020-01-01T00:00:00.000Z' } };
      await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: item }));
      const out = await fanout(id);
      expect(out.status).toBe('SUCCEEDED');
      const parcel = JSON.parse(out.output ?? '') as MergedParcel;
      expect(parcel.vendorStatus).toBe(status);
      expect(parcel.vendor).toBeNull();
      expect(parcel.warehouse).toEqual(warehouse(id));
      expect(await cached(id)).toEqual(item);
      await dynamo.send(new DeleteItemCommand({ TableName: TABLE, Key: { parcelId: { S: id } } }));
      await fanout(id);
      expect(await cached(id)).toBeUndefined();
    },
  );

  it('an unknown parcel (404 on both sides) is returned with both parts null and not cached', async () => {
    const out = await fanout('EE271828189FR');
    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output ?? '')).toMatchObject({
      parcelId: 'EE271828189FR',
      warehouse: null,
      vendor: null,
      vendorStatus: 'not_found',
    });
    expect(await cached('EE271828189FR')).toBeUndefined();
    // A 404 is an answer: not retried.
    expect(
      upstream.received.filter((r) => r.path === '/local/internal/warehouse/EE271828189FR'),
    ).toHaveLength(1);
  });

  it('a warehouse 500 is retried with backoff, then fails the execution with ApiGateway.500', async () => {
    sleeps.length = 0;
    const out = await fanout('WH000000003XX');
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('ApiGateway.500');
    expect(JSON.parse(out.cause ?? '')).toEqual({ message: 'db down' });
    expect(out.output).toBeUndefined();
    expect(
      upstream.received.filter((r) => r.path === '/local/internal/warehouse/WH000000003XX'),
    ).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeLessThanOrEqual(1000); // IntervalSeconds 1, full jitter
    expect(sleeps[1]).toBeLessThanOrEqual(2000); // × BackoffRate 2
    expect(await cached('WH000000003XX')).toBeUndefined();
  });
});

function flatten(
  doc: SubsegmentDoc,
  parent: string | undefined,
  out: { doc: SubsegmentDoc; parent?: string }[] = [],
) {
  out.push({ doc, parent });
  for (const s of doc.subsegments ?? []) flatten(s, doc.id, out);
  return out;
}

describe('tracing', () => {
  it('a sampled execution is one segment under the caller, a subsegment per state, branch and call', async () => {
    const traceId = newTraceId();
    const callerParent = newSegmentId();
    const out = await fanout('RR123456785GB', `Root=${traceId};Parent=${callerParent};Sampled=1`);
    expect(out.status).toBe('SUCCEEDED');
    const [segment] = (await collector.waitFor((s) => s.some((x) => x.trace_id === traceId))).filter(
      (s) => s.trace_id === traceId,
    ) as [SegmentDoc];
    expect(segment).toMatchObject({
      name: 'parcel-fanout',
      origin: 'AWS::StepFunctions::StateMachine',
      parent_id: callerParent,
      trace_id: traceId,
    });
    expect(segment.aws?.execution_arn).toBe(out.executionArn);
    const nodes = flatten(segment, undefined);
    const ids = nodes.map((n) => n.doc.id);
    expect(new Set(ids).size).toBe(ids.length);
    const byId = new Map(nodes.map((n) => [n.doc.id, n.doc]));
    for (const n of nodes) {
      if (!n.parent) continue;
      const parent = byId.get(n.parent) as SubsegmentDoc;
      expect(n.doc.start_time).toBeGreaterThanOrEqual(parent.start_time);
      expect(n.doc.end_time ?? 0).toBeLessThanOrEqual(parent.end_time ?? 0);
    }
    const names = (doc: SubsegmentDoc | undefined) => (doc?.subsegments ?? []).map((s) => s.name);
    expect(names(segment)).toEqual([
      'FetchParts',
      'MergeParts',
      'IsKnownParcel',
      'IsVendorDegraded',
      'CacheParcel',
    ]);
    const parallel = segment.subsegments?.[0];
    expect(names(parallel)).toEqual(['Branch 1', 'Branch 2']);
    const getWarehouse = parallel?.subsegments?.[0]?.subsegments?.[0];
    expect(getWarehouse?.name).toBe('GetWarehouse');
    const call = getWarehouse?.subsegments?.[0];
    expect(call).toMatchObject({
      namespace: 'remote',
      http: { request: { method: 'GET' }, response: { status: 200 } },
    });
    expect(call?.http?.request?.url).toBe(`${upstream.url}/local/internal/warehouse/RR123456785GB`);

    // The gateway's segment parents to the call's subsegment: its id is the Parent it received.
    const received = upstream.received.filter(
      (r) => parseTraceHeader(r.headers['x-amzn-trace-id'])?.root === traceId,
    );
    expect(received).toHaveLength(2);
    const parents = received.map((r) => parseTraceHeader(r.headers['x-amzn-trace-id'])?.parent);
    const callIds = nodes.filter((n) => n.doc.namespace === 'remote').map((n) => n.doc.id);
    expect(parents.sort()).toEqual(callIds.sort());
    for (const r of received) expect(parseTraceHeader(r.headers['x-amzn-trace-id'])?.sampled).toBe('1');

    const put = segment.subsegments?.[4]?.subsegments?.[0];
    expect(put).toMatchObject({
      name: 'DynamoDB',
      namespace: 'aws',
      aws: { operation: 'PutItem', table_name: TABLE, region: LOCAL_REGION },
      http: { response: { status: 200 } },
    });
    expect(put?.fault).toBeUndefined();
  });

  it('failed and caught states carry error/fault and a cause', async () => {
    const traceId = newTraceId();
    await fanout('ER000000002XX', `Root=${traceId};Parent=${newSegmentId()};Sampled=1`);
    const failed = await fanout('WH000000003XX', `Root=${newTraceId()};Parent=${newSegmentId()};Sampled=1`);
    const segments = await collector.waitFor((s) => s.some((x) => x.trace_id === traceId));
    const vendorBranch = segments.find((s) => s.trace_id === traceId)?.subsegments?.[0]?.subsegments?.[1];
    const getVendor = vendorBranch?.subsegments?.find((s) => s.name === 'GetVendor');
    expect(getVendor?.fault).toBe(true);
    expect(JSON.stringify(getVendor?.cause)).toContain('ApiGateway.500');
    expect(vendorBranch?.subsegments?.map((s) => s.name)).toEqual(['GetVendor', 'VendorError']);

    const failedSegment = (
      await collector.waitFor((s) => s.some((x) => x.aws?.execution_arn === failed.executionArn))
    ).find((s) => s.aws?.execution_arn === failed.executionArn);
    expect(failedSegment?.fault).toBe(true);
    expect(JSON.stringify(failedSegment?.cause)).toContain('ApiGateway.500');
    const getWarehouse = failedSegment?.subsegments?.[0]?.subsegments?.[0]?.subsegments?.[0];
    // Three attempts, three downstream calls, each a 500 fault.
    expect(getWarehouse?.subsegments?.map((s) => s.http?.response?.status)).toEqual([500, 500, 500]);
  });

  it('Sampled=0 records nothing for a healthy execution; calls carry Sampled=0 with their own Parent', async () => {
    const traceId = newTraceId();
    const header = `Root=${traceId};Parent=${newSegmentId()};Sampled=0;Lineage=a87bd80c:0`;
    const before = sfn.stats.snapshot();
    await fanout('RR123456785GB', header);
    const marker = newTraceId();
    await fanout('RR123456785GB', `Root=${marker};Parent=${newSegmentId()};Sampled=1`);
    await collector.waitFor((s) => s.some((x) => x.trace_id === marker));
    expect(collector.segments.filter((s) => s.trace_id === traceId)).toHaveLength(0);
    const received = upstream.received.filter((r) => String(r.headers['x-amzn-trace-id']).includes(traceId));
    const parents = new Set<string>();
    for (const r of received) {
      const h = parseTraceHeader(r.headers['x-amzn-trace-id']);
      // The decision is passed on as it came (never re-decided); only Parent names this hop's call.
      expect(h).toMatchObject({ root: traceId, sampled: '0', extra: [['Lineage', 'a87bd80c:0']] });
      expect(h?.parent).toMatch(/^[0-9a-f]{16}$/);
      parents.add(h?.parent as string);
    }
    expect(received).toHaveLength(2);
    expect(parents.size).toBe(2);
    const after = sfn.stats.snapshot();
    expect(after.discarded).toBe(before.discarded + 1);
    expect(after.sampled.total).toBe(before.sampled.total + 1);
  });
});

/** StartSyncExecution over raw HTTP: the SDK does not surface response headers. */
async function rawFanout(parcelId: string, traceHeader: string) {
  const response = await fetch(sfn.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AWSStepFunctions.StartSyncExecution',
    },
    body: JSON.stringify({
      stateMachineArn: LOCAL_STATE_MACHINE_ARN,
      input: JSON.stringify({ parcelId, expiresAt: EXPIRES_AT } satisfies FanoutInput),
      traceHeader,
    }),
  });
  return {
    kept: response.headers.get('x-trace-kept'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('keep-on-error (Sampled=0)', () => {
  const executionSegment = async (traceId: string) => {
    await collector.waitFor((s) => s.some((x) => x.trace_id === traceId));
    return collector.segments.find((s) => s.trace_id === traceId) as SegmentDoc;
  };
  const callsOf = (traceId: string) =>
    upstream.received
      .filter((r) => String(r.headers['x-amzn-trace-id']).includes(traceId))
      .map((r) => parseTraceHeader(r.headers['x-amzn-trace-id'])?.parent);
  const remoteIds = (doc: SubsegmentDoc): string[] => [
    ...(doc.namespace === 'remote' ? [doc.id] : []),
    ...(doc.subsegments ?? []).flatMap(remoteIds),
  ];

  it('a failed execution keeps its segment as error and answers X-Trace-Kept: error', async () => {
    const traceId = newTraceId();
    const caller = newSegmentId();
    const before = sfn.stats.snapshot();
    const out = await rawFanout('WH000000003XX', `Root=${traceId};Parent=${caller};Sampled=0`);
    expect(out.body.status).toBe('FAILED');
    expect(out.kept).toBe('error');
    // The JSON body stays exactly the API's shape.
    expect(Object.keys(out.body)).not.toContain('x-trace-kept');
    const segment = await executionSegment(traceId);
    expect(segment).toMatchObject({
      parent_id: caller,
      fault: true,
      annotations: { trace_kept: 'error', execution_status: 'FAILED' },
    });
    // Every call the gateway saw is a subsegment here: its kept segments will find their parent.
    expect(remoteIds(segment).sort()).toEqual(callsOf(traceId).sort());
    expect(sfn.stats.snapshot().kept.error).toBe(before.kept.error + 1);
  });

  it('a failed task caught by a Catch keeps the (successful) execution as an error on the path', async () => {
    const traceId = newTraceId();
    const out = await rawFanout('ER000000002XX', `Root=${traceId};Parent=${newSegmentId()};Sampled=0`);
    expect(out.body.status).toBe('SUCCEEDED');
    expect(out.kept).toBe('error');
    const segment = await executionSegment(traceId);
    expect(segment.annotations).toMatchObject({ trace_kept: 'error', execution_status: 'SUCCEEDED' });
    expect(segment.fault).toBeUndefined();
    const getVendor = segment.subsegments?.[0]?.subsegments?.[1]?.subsegments?.[0];
    expect(getVendor).toMatchObject({ name: 'GetVendor', fault: true });
  });

  it('a task whose answer says X-Trace-Kept keeps the execution as downstream', async () => {
    const traceId = newTraceId();
    const out = await rawFanout('KP000000004XX', `Root=${traceId};Parent=${newSegmentId()};Sampled=0`);
    expect(out.body.status).toBe('SUCCEEDED');
    expect(out.kept).toBe('downstream');
    expect((await executionSegment(traceId)).annotations).toMatchObject({ trace_kept: 'downstream' });
  });

  it('a 404 caught as "unknown parcel" is an answer, not a failure: nothing kept, no header', async () => {
    const traceId = newTraceId();
    const out = await rawFanout('EE271828189FR', `Root=${traceId};Parent=${newSegmentId()};Sampled=0`);
    expect(out.body.status).toBe('SUCCEEDED');
    expect(out.kept).toBeNull();
  });

  it('serves its counters at /__stepfunctions/stats', async () => {
    const response = await fetch(`${sfn.url}/__stepfunctions/stats`);
    const stats = (await response.json()) as Record<string, unknown>;
    expect(stats).toEqual({ ...sfn.stats.snapshot(), segments: expect.any(Object) });
    expect(stats).toMatchObject({ kept: { error: expect.any(Number), downstream: expect.any(Number) } });
    expect((stats.kept as { downstream: number }).downstream).toBeGreaterThanOrEqual(1);
    expect((stats.kept as { error: number }).error).toBeGreaterThanOrEqual(2);
  });
});

describe('the rest of the API, through the real SDK client', () => {
  it('lists and describes parcel-fanout as an EXPRESS state machine with the shared definition', async () => {
    const list = await client.send(new ListStateMachinesCommand({}));
    expect(list.stateMachines?.map((m) => [m.name, m.type, m.stateMachineArn])).toContainEqual([
      'parcel-fanout',
      'EXPRESS',
      LOCAL_STATE_MACHINE_ARN,
    ]);
    const described = await client.send(
      new DescribeStateMachineCommand({ stateMachineArn: LOCAL_STATE_MACHINE_ARN }),
    );
    expect(described.type).toBe('EXPRESS');
    expect(described.tracingConfiguration?.enabled).toBe(true);
    expect(JSON.parse(described.definition ?? '').StartAt).toBe('FetchParts');
  });

  it('StartExecution runs in the background; DescribeExecution reports it', async () => {
    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn: LOCAL_STATE_MACHINE_ARN,
        name: 'bg-1',
        input: JSON.stringify({ parcelId: 'LX314159268US', expiresAt: EXPIRES_AT }),
      }),
    );
    expect(started.executionArn).toContain(':express:parcel-fanout:bg-1:');
    let status = 'RUNNING';
    let output: string | undefined;
    for (let i = 0; i < 100 && status === 'RUNNING'; i++) {
      const d = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      status = d.status ?? '';
      output = d.output;
      if (status === 'RUNNING') await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe('SUCCEEDED');
    expect(JSON.parse(output ?? '').vendorStatus).toBe('not_found');
  });

  it('answers errors in the JSON 1.0 form the SDK maps to named exceptions', async () => {
    const unknownArn = LOCAL_STATE_MACHINE_ARN.replace('parcel-fanout', 'nope');
    await expect(
      client.send(new DescribeStateMachineCommand({ stateMachineArn: unknownArn })),
    ).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      client.send(new StartSyncExecutionCommand({ stateMachineArn: unknownArn, input: '{}' })),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(
      client.send(
        new StartSyncExecutionCommand({ stateMachineArn: LOCAL_STATE_MACHINE_ARN, input: '{not json' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(
      client.send(new DescribeStateMachineCommand({ stateMachineArn: 'arn:nope' })),
    ).rejects.toMatchObject({
      name: 'InvalidArn',
    });
    await expect(
      client.send(
        new DescribeExecutionCommand({
          executionArn: `${LOCAL_STATE_MACHINE_ARN.replace('stateMachine', 'express')}:x:y`,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    const health = await fetch(`${sfn.url}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  // An unknown X-Amz-Target is refused by AWS's request framework, before the service: HTTP 400 and only
  // `{"__type":"com.amazon.coral.service#UnknownOperationException"}` (as real endpoints answer it,
  // reported in aws/aws-sdk-go#3689, aws/aws-sdk-net#1536, mhart/kinesalite#95).
  it.each([
    'constructor',
    'toString',
    'hasOwnProperty',
    '__proto__',
    'valueOf',
    'NoSuchOperation',
    'startSyncExecution',
  ])('answers AWSStepFunctions.%s with 400 UnknownOperationException', async (name) => {
    const response = await fetch(sfn.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${name}` },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ __type: 'com.amazon.coral.service#UnknownOperationException' });
  });
});

const cliHere = toolPresent('the AWS CLI', await hasAwsCli());

describe.runIf(cliHere)('the AWS CLI with --endpoint-url', () => {
  const cli = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(
      'aws',
      ['stepfunctions', ...args, '--endpoint-url', sfn.url, '--output', 'json'],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
          AWS_DEFAULT_REGION: LOCAL_REGION,
          // StartSyncExecution's endpoint has a `sync-` host prefix; a custom endpoint needs it off.
          AWS_DISABLE_HOST_PREFIX_INJECTION: 'true',
        },
      },
    );
    return JSON.parse(stdout) as Record<string, unknown>;
  };

  it('runs a synchronous execution (one CLI call: the CLI starts slowly)', async () => {
    const out = await cli(
      'start-sync-execution',
      '--state-machine-arn',
      LOCAL_STATE_MACHINE_ARN,
      '--input',
      JSON.stringify({ parcelId: 'LX314159268US', expiresAt: EXPIRES_AT }),
    );
    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(String(out.output)).vendorStatus).toBe('not_found');
  });
});
