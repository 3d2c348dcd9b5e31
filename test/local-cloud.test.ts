import { createSocket } from 'node:dgram';
import { realpathSync } from 'node:fs';
import { GetServiceGraphCommand, type XRayClient } from '@aws-sdk/client-xray';
import { makeParcelId } from '@parcel/contract';
import { hasAwsCli, toolPresent } from '@parcel/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, forgetCached } from './support/cache-table';
import { useSharedStack } from './support/shared-stack';
import {
  awsOp,
  batchGetTracesWithCli,
  byOrigin,
  named,
  readTrace,
  vendorCalls,
  xrayClient,
} from './support/traces';
import { expectWellFormedTree, expectWholeTrace, getSampledParcel } from './support/whole-trace';

const stack = useSharedStack();
const cliHere = toolPresent('the AWS CLI', await hasAwsCli());
let xray: XRayClient;
/** Fanned out by the cases below: another file on the shared stack may have cached them. */
const MISSES = ['RR123456785GB', 'LX314159268US', 'RB111111115SE'];

beforeAll(async () => {
  xray = xrayClient(stack.endpoints.xray);
  const ddb = dynamoClient(stack);
  for (const id of MISSES) await forgetCached(ddb, id);
  ddb.destroy();
});
afterAll(() => xray?.destroy());

const getParcel = (id: string) => getSampledParcel(stack.endpoints.gateway, id);

describe('the local cloud, end to end', () => {
  it('serves a cache miss through the whole path as one well-formed trace', async () => {
    await expectWholeTrace(xray, stack.endpoints.gateway);
  });

  it('serves the same parcel again from the cache, without Step Functions', async () => {
    const { res, body, traceId } = await getParcel('RR123456785GB');
    expect(res.status).toBe(200);
    expect(body.freshness.cache).toBe('hit');
    const nodes = await readTrace(xray, traceId, (n) => named(n, 'parcel-api').length === 1);
    expectWellFormedTree(nodes, traceId);
    expect(named(nodes, 'parcel-api')[0]?.doc.annotations).toMatchObject({ cache: 'hit' });
    expect(byOrigin(nodes, 'AWS::StepFunctions::StateMachine')).toHaveLength(0);
    expect(awsOp(nodes, 'StartSyncExecution')).toHaveLength(0);
  });

  it('returns the warehouse part when the vendor does not know the parcel, and says why', async () => {
    const { res, body, traceId } = await getParcel('LX314159268US');
    expect(res.status).toBe(200);
    expect(body.warehouse?.warehouse).toBe('JFK-3');
    expect(body.vendor).toBeNull();
    expect(body.vendorStatus).toBe('not_found');
    const nodes = await readTrace(
      xray,
      traceId,
      (n) => vendorCalls(n).length === 1 && named(n, 'warehouse-query').length === 2,
    );
    expectWellFormedTree(nodes, traceId);
    expect(vendorCalls(nodes)[0]?.doc.http?.response?.status).toBe(404);
    expect(named(nodes, 'parcel-api')[0]?.doc.annotations).toMatchObject({ vendor_status: 'not_found' });
  });

  it('answers 404 for a parcel nobody knows, and the trace shows both sides said so', async () => {
    // A fresh valid id: an unknown id another file just asked for is answered from parcel-api's
    // short-lived "no such parcel" cache, without the fan-out this case looks at.
    const unknown = makeParcelId('ZQ', String(Math.floor(Math.random() * 1e8)).padStart(8, '0'), 'FR');
    const { res, body, traceId } = await getParcel(unknown);
    expect(res.status).toBe(404);
    expect(body.error?.code).toBeDefined();
    const nodes = await readTrace(
      xray,
      traceId,
      (n) => named(n, 'warehouse-query').length === 2 && named(n, 'parcel-api').length === 1,
    );
    expectWellFormedTree(nodes, traceId);
    for (const wq of named(nodes, 'warehouse-query')) expect(wq.doc.http?.response?.status).toBe(404);
    expect(named(nodes, 'parcel-api')[0]?.doc.http?.response?.status).toBe(404);
    expect(awsOp(nodes, 'PutItem')).toHaveLength(0);
  });

  it('answers 400 for an invalid id without reaching the fan-out', async () => {
    const executionsSoFar = async () =>
      (
        (await (await fetch(`${stack.endpoints.stepFunctions}/__stepfunctions/stats`)).json()) as {
          requests: number;
        }
      ).requests;
    const before = await executionsSoFar();
    const { res, body, traceId } = await getParcel('RR123456784GB'); // check digit 5, not 4
    expect(res.status).toBe(400);
    expect(body.error?.code).toBe('invalid_parcel_id');
    // A miss sent after it is the marker: once its execution is counted, the 400's would have been too.
    const miss = await getParcel('RB111111115SE');
    expect(miss.body.freshness.cache).toBe('miss');
    expect((await executionsSoFar()) - before, 'executions started: the miss’s only').toBe(1);
    // Its trace: the stage and parcel-api's refusal, no StartSyncExecution, no execution.
    const nodes = await readTrace(xray, traceId, (n) => named(n, 'parcel-api').length === 1);
    expect(named(nodes, 'parcel-api')[0]?.doc.http?.response?.status).toBe(400);
    expect(awsOp(nodes, 'StartSyncExecution')).toHaveLength(0);
    expect(byOrigin(nodes, 'AWS::StepFunctions::StateMachine')).toHaveLength(0);
  });

  it('draws a service graph with distinct, meaningfully named nodes', async () => {
    const now = Date.now() / 1000;
    const out = await xray.send(
      new GetServiceGraphCommand({
        StartTime: new Date((now - 600) * 1000),
        EndTime: new Date((now + 60) * 1000),
      }),
    );
    const names = (out.Services ?? []).map((s) => s.Name ?? '');
    const types = (out.Services ?? []).map((s) => s.Type ?? '');
    expect(types).toContain('client');
    expect(types).toContain('AWS::ApiGateway::Stage');
    expect(types).toContain('AWS::StepFunctions::StateMachine');
    expect(names).toEqual(expect.arrayContaining(['parcel-api', 'warehouse-query', 'vendor.localhost']));
    expect(names.some((n) => /dynamodb/i.test(n)) || types.some((t) => /DynamoDB/.test(t))).toBe(true);
    expect(names.some((n) => /postgres|parcels@/i.test(n)) || types.some((t) => /SQL/i.test(t))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
  });

  it('counts invalid datagrams at the daemon and keeps serving', async () => {
    const [host, port] = stack.endpoints.daemon.split(':') as [string, string];
    const statsUrl = `http://${stack.endpoints.daemon}/__daemon/stats`;
    const before = (await (await fetch(statsUrl)).json()) as { invalid: number };
    const socket = createSocket('udp4');
    const garbage = [
      'garbage',
      '{"format":"json","version":1}\n{not json',
      '{"format":"xml","version":1}\n{}',
      '\n',
    ];
    for (const g of garbage) await new Promise((r) => socket.send(g, Number(port), host, r));
    socket.close();
    let after = before;
    for (let i = 0; i < 40 && after.invalid < before.invalid + garbage.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = (await (await fetch(statsUrl)).json()) as { invalid: number };
    }
    expect(after.invalid).toBe(before.invalid + garbage.length);
    const { res } = await getParcel('CP987654326DE');
    expect(res.status).toBe(200);
  });

  it('runs every piece on the runtime that runs the tests (Node 24 under npm run test:node24)', async () => {
    const pieces = ['postgres', 'dynamodb', 'xray-service', 'xray-daemon', 'vendor-sim', 'parcel-api'];
    pieces.push('step-functions', 'gateway', 'warehouse-query');
    console.log(`tests and stack on Node ${process.version} (${process.execPath})`);
    for (const name of pieces) {
      const { pid } = await stack.piece(name);
      // The kernel's own record of the binary each process runs (Linux).
      expect(realpathSync(`/proc/${pid}/exe`), name).toBe(realpathSync(process.execPath));
    }
  });

  it.runIf(cliHere)('is readable with the AWS CLI', async () => {
    const { traceId } = await getParcel('CP987654326DE');
    await readTrace(xray, traceId, (n) => named(n, 'parcel-api').length === 1);
    const traces = await batchGetTracesWithCli(stack.endpoints.xray, traceId);
    expect(traces[0]?.Id).toBe(traceId);
    expect(traces[0]?.Segments.length).toBeGreaterThan(0);
  });
});
