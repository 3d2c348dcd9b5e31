import type { XRayClient } from '@aws-sdk/client-xray';
import type { ParcelResponse } from '@parcel/contract';
import { sampledHeader } from '@parcel/test-kit';
import { newTraceId } from '@parcel/xray-protocol';
import { expect } from 'vitest';
import { awsOp, byOrigin, named, readTrace, sqlCalls, type TraceNode, vendorCalls } from './traces';

/**
 * The whole-trace check, shared by every tracing backend's run: one cache miss through the whole path
 * (8 hops: edge stage, parcel-api, the execution, two internal stages, warehouse-query twice, the vendor)
 * comes back as one tree whose every parent resolves inside the trace.
 */

/** `GET /parcels/{id}` through the gateway with a sampled trace header (the edge's decision: keep it). */
export async function getSampledParcel(gateway: string, id: string, traceId = newTraceId()) {
  const res = await fetch(`${gateway}/parcels/${id}`, {
    headers: { 'X-Amzn-Trace-Id': sampledHeader(traceId) },
  });
  return { res, body: (await res.json()) as ParcelResponse & { error?: { code: string } }, traceId };
}

/** Every parent resolves inside the trace and every child sits inside its parent's time span. */
export function expectWellFormedTree(nodes: TraceNode[], traceId: string) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const roots = nodes.filter((n) => n.parentId === undefined);
  expect(roots).toHaveLength(1);
  for (const n of nodes) {
    if (n.kind === 'segment') expect(n.doc.trace_id).toBe(traceId);
    expect(Number.isFinite(n.end), `${n.name} is closed`).toBe(true);
    if (n.parentId === undefined) continue;
    const parent = byId.get(n.parentId);
    expect(parent, `parent of ${n.name} (${n.segmentName}) is in the trace`).toBeDefined();
    if (!parent) continue;
    // Timestamps are recorded by different processes with millisecond clocks.
    const slack = 0.002;
    expect(n.start, `${n.name} starts within ${parent.name}`).toBeGreaterThanOrEqual(parent.start - slack);
    expect(n.end, `${n.name} ends within ${parent.name}`).toBeLessThanOrEqual(parent.end + slack);
  }
}

/** A cache miss of RR123456785GB (not cached before the call) as one well-formed 8-hop trace. */
export async function expectWholeTrace(xray: XRayClient, gateway: string): Promise<void> {
  const { res, body, traceId } = await getSampledParcel(gateway, 'RR123456785GB');
  expect(res.status).toBe(200);
  expect(res.headers.get('x-amzn-trace-id')).toContain(`Root=${traceId}`);
  expect(body.parcelId).toBe('RR123456785GB');
  expect(body.freshness.cache).toBe('miss');
  expect(body.warehouse?.warehouse).toBe('LHR-1');
  expect(body.vendor?.carrier).toBe('Royal Mail');
  expect(body.vendorStatus).toBe('ok');

  const nodes = await readTrace(
    xray,
    traceId,
    // Every hop's own documents, not only its segment: a backend that batches (OTLP) sends a hop's spans
    // over more than one export, and the service that ends last (parcel-api) is sent last.
    (n) =>
      byOrigin(n, 'AWS::ApiGateway::Stage').length >= 3 &&
      named(n, 'parcel-api').length >= 1 &&
      named(n, 'warehouse-query').length >= 2 &&
      awsOp(n, 'GetItem').length >= 1 &&
      awsOp(n, 'StartSyncExecution').length >= 1 &&
      awsOp(n, 'PutItem').length >= 1 &&
      sqlCalls(n).length >= 1 &&
      vendorCalls(n).length >= 1 &&
      byOrigin(n, 'AWS::StepFunctions::StateMachine').length >= 1,
  );
  expectWellFormedTree(nodes, traceId);

  const [edge] = byOrigin(nodes, 'AWS::ApiGateway::Stage').filter((n) => n.parentId === undefined);
  expect(edge?.doc.http?.request?.url).toContain('/parcels/RR123456785GB');

  const [api] = named(nodes, 'parcel-api');
  expect(api).toBeDefined();
  expect(api?.doc.annotations).toMatchObject({ parcel_id: 'RR123456785GB', cache: 'miss' });
  const getItem = awsOp(nodes, 'GetItem');
  expect(getItem.map((n) => n.segmentName)).toEqual(['parcel-api']);
  const startSync = awsOp(nodes, 'StartSyncExecution');
  expect(startSync.map((n) => n.segmentName)).toEqual(['parcel-api']);

  const [execution] = byOrigin(nodes, 'AWS::StepFunctions::StateMachine');
  expect(execution?.parentId).toBe(startSync[0]?.id);
  const executionNodes = nodes.filter((n) => n.segmentName === execution?.name);
  expect(executionNodes.length).toBeGreaterThan(3); // the execution and its states

  // The two internal calls go back through the gateway, each answered by warehouse-query.
  const internalStages = byOrigin(nodes, 'AWS::ApiGateway::Stage').filter((n) => n.parentId !== undefined);
  expect(internalStages).toHaveLength(2);
  expect(internalStages.map((n) => String(n.doc.http?.request?.url)).sort()).toEqual([
    expect.stringContaining('/internal/vendor/RR123456785GB'),
    expect.stringContaining('/internal/warehouse/RR123456785GB'),
  ]);
  for (const stage of internalStages) {
    expect(nodes.find((n) => n.id === stage.parentId)?.segmentName).toBe(execution?.name);
  }
  expect(named(nodes, 'warehouse-query')).toHaveLength(2);

  const [sql] = sqlCalls(nodes);
  expect(sql?.segmentName).toBe('warehouse-query');
  expect(String(sql?.doc.sql?.sanitized_query)).toMatch(/select/i);
  expect(String(sql?.doc.sql?.sanitized_query)).not.toContain('RR123456785GB');

  const [vendor] = vendorCalls(nodes);
  expect(vendor?.name).toBe('vendor.localhost');
  expect(vendor?.doc.http?.request?.method).toBe('GET');
  // The X-Ray SDK records the host without its port (ClientRequest.host); the vendor's real port is 443.
  expect(vendor?.doc.http?.request?.url).toMatch(
    /^https:\/\/vendor\.localhost(:\d+)?\/v2\/parcels\/RR123456785GB$/,
  );
  expect(vendor?.doc.http?.response?.status).toBe(200);
  expect((vendor?.end ?? 0) - (vendor?.start ?? 0)).toBeGreaterThan(0);

  const putItem = awsOp(nodes, 'PutItem');
  expect(putItem[0]?.segmentName).toBe(execution?.name);
}
