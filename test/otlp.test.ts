import type { XRayClient } from '@aws-sdk/client-xray';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { AWSXRayIdGenerator } from '@opentelemetry/id-generator-aws-xray';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { hasAwsCli, toolPresent } from '@parcel/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSharedStack } from './support/shared-stack';
import { batchGetTracesWithCli, readTrace, type TraceNode, xrayClient } from './support/traces';

/**
 * Issue 9, item 6: a span posted by any OTLP/HTTP client to the sidecar's 4318 comes back from
 * BatchGetTraces as an X-Ray segment with the right flags, as the ADOT collector (otlp receiver →
 * awsxray exporter) would have written it; and the X-Ray API's own `POST /v1/traces` takes it too.
 */
const stack = useSharedStack();
const cliHere = toolPresent('the AWS CLI', await hasAwsCli());
let xray: XRayClient;
beforeAll(() => {
  xray = xrayClient(stack.endpoints.xray);
});
afterAll(() => xray?.destroy());

/** A failing parcel lookup as an OTel-instrumented service records it, exported by `exporter`. */
async function exportFailingRequest(exporter: SpanExporter, service: string) {
  const provider = new BasicTracerProvider({
    idGenerator: new AWSXRayIdGenerator(),
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': service })),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('otlp-e2e');
  const server = tracer.startSpan('GET /parcels/{id}', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'GET',
      'url.full': 'http://127.0.0.1/parcels/PX-429',
      'http.response.status_code': 429,
      'aws.xray.annotations': ['parcel_id'],
      parcel_id: 'PX-429',
    },
  });
  const inServer = trace.setSpan(context.active(), server);
  const dynamo = tracer.startSpan(
    'DynamoDB.GetItem',
    {
      kind: SpanKind.CLIENT,
      attributes: { 'rpc.system': 'aws-api', 'rpc.service': 'DynamoDB', 'rpc.method': 'GetItem' },
    },
    inServer,
  );
  dynamo.end();
  const vendor = tracer.startSpan(
    'GET',
    { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'vendor', 'http.response.status_code': 503 } },
    inServer,
  );
  vendor.recordException(new Error('vendor unavailable'));
  vendor.setStatus({ code: SpanStatusCode.ERROR });
  vendor.end();
  server.end();
  await provider.shutdown();
  const { traceId, spanId } = server.spanContext();
  return { xrayTraceId: `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`, serverId: spanId };
}

function expectSegments(nodes: TraceNode[], service: string, serverId: string) {
  const segment = nodes.find((n) => n.kind === 'segment' && n.name === service);
  expect(segment?.doc).toMatchObject({
    id: serverId,
    error: true,
    throttle: true,
    fault: false,
    http: { request: { method: 'GET' }, response: { status: 429 } },
    annotations: { parcel_id: 'PX-429' },
  });
  const dynamo = nodes.find((n) => n.name === 'DynamoDB');
  expect(dynamo).toMatchObject({ kind: 'subsegment', parentId: serverId });
  expect(dynamo?.doc).toMatchObject({ namespace: 'aws', aws: { operation: 'GetItem' } });
  const vendor = nodes.find((n) => n.name === 'vendor');
  expect(vendor?.doc).toMatchObject({
    namespace: 'remote',
    fault: true,
    cause: { exceptions: [{ message: 'vendor unavailable' }] },
  });
}
const complete = (nodes: TraceNode[]) => ['DynamoDB', 'vendor'].every((n) => nodes.some((x) => x.name === n));

describe('OTLP into the local stack', () => {
  it('the sidecar (4318, protobuf) forwards spans as segments that BatchGetTraces returns', async () => {
    const exporter = new ProtoExporter({ url: `${stack.endpoints.otlp}/v1/traces` });
    const { xrayTraceId, serverId } = await exportFailingRequest(exporter, 'otlp-proto-client');
    const nodes = await readTrace(xray, xrayTraceId, complete);
    expectSegments(nodes, 'otlp-proto-client', serverId);
    const stats = (await (await fetch(`http://${stack.endpoints.daemon}/__daemon/stats`)).json()) as {
      otlp: { spans: number; documents: number };
    };
    expect(stats.otlp.documents).toBeGreaterThanOrEqual(3);
  });

  it.runIf(cliHere)('the AWS CLI reads an OTLP span as an X-Ray segment with its flags', async () => {
    const exporter = new ProtoExporter({ url: `${stack.endpoints.otlp}/v1/traces` });
    const { xrayTraceId, serverId } = await exportFailingRequest(exporter, 'otlp-cli-client');
    await readTrace(xray, xrayTraceId, complete);
    const traces = await batchGetTracesWithCli(stack.endpoints.xray, xrayTraceId);
    expect(traces[0]?.Id).toBe(xrayTraceId);
    const docs = traces[0]?.Segments.map((s) => JSON.parse(s.Document) as Record<string, unknown>) ?? [];
    expect(docs.find((d) => d.id === serverId)).toMatchObject({
      name: 'otlp-cli-client',
      error: true,
      throttle: true,
      fault: false,
    });
  });

  it('the sidecar takes OTLP/JSON too', async () => {
    const exporter = new JsonExporter({ url: `${stack.endpoints.otlp}/v1/traces` });
    const { xrayTraceId, serverId } = await exportFailingRequest(exporter, 'otlp-json-client');
    expectSegments(await readTrace(xray, xrayTraceId, complete), 'otlp-json-client', serverId);
  });

  it('the X-Ray API answers POST /v1/traces (the X-Ray OTLP endpoint)', async () => {
    const exporter = new ProtoExporter({ url: `${stack.endpoints.xray}/v1/traces` });
    const { xrayTraceId, serverId } = await exportFailingRequest(exporter, 'otlp-direct-client');
    expectSegments(await readTrace(xray, xrayTraceId, complete), 'otlp-direct-client', serverId);
  });

  it('a malformed body gets a 400 with a message from both, and is counted', async () => {
    const statsOf = async () =>
      (
        (await (await fetch(`http://${stack.endpoints.daemon}/__daemon/stats`)).json()) as {
          otlp: { malformed: number };
        }
      ).otlp.malformed;
    const before = await statsOf();
    for (const base of [stack.endpoints.otlp, stack.endpoints.xray]) {
      const res = await fetch(`${base}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"53995c3f42cd8ad8"}]}]}]}',
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/traceId is missing/);
    }
    expect(await statsOf()).toBe(before + 1);
  });
});
