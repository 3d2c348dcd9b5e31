import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { AWSXRayIdGenerator } from '@opentelemetry/id-generator-aws-xray';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SegmentDoc } from '../segment';
import { countOtlpOutcome, emptyOtlpStats, handleOtlpTraces, OTLP_TRACES_PATH } from './receiver';

/** A receiver over real HTTP, as the daemon and the X-Ray service mount it. */
let server: Server;
let url: string;
const received: SegmentDoc[] = [];
const stats = emptyOtlpStats();
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url !== OTLP_TRACES_PATH) {
      res.writeHead(404).end();
      return;
    }
    handleOtlpTraces(req, res, { validateTraceIdTime: true }, (docs) => {
      received.push(...docs);
      return undefined;
    }).then((o) => countOtlpOutcome(stats, o));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${OTLP_TRACES_PATH}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
  Object.assign(stats, emptyOtlpStats());
});

/** A parcel-api request as an OTel SDK records it: the server span, a DynamoDB call, a failed vendor call. */
async function exportTrace(exporter: SpanExporter) {
  const provider = new BasicTracerProvider({
    idGenerator: new AWSXRayIdGenerator(),
    // As NodeSDK builds it: telemetry.sdk.* (language nodejs) and the service name.
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': 'parcel-api' })),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('receiver-test');
  const server = tracer.startSpan('GET /parcels/:id', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'GET',
      'url.full': 'http://127.0.0.1:3000/parcels/PX-1',
      'http.response.status_code': 502,
      'aws.xray.annotations': ['parcel_id'],
      parcel_id: 'PX-1',
    },
  });
  const { trace, context } = await import('@opentelemetry/api');
  const parent = trace.setSpan(context.active(), server);
  const dynamo = tracer.startSpan(
    'DynamoDB.GetItem',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'rpc.system': 'aws-api',
        'rpc.service': 'DynamoDB',
        'rpc.method': 'GetItem',
        'aws.dynamodb.table_names': ['parcels'],
      },
    },
    parent,
  );
  dynamo.end();
  const vendor = tracer.startSpan(
    'GET',
    { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'vendor' } },
    parent,
  );
  vendor.recordException(new Error('vendor timed out'));
  vendor.setStatus({ code: SpanStatusCode.ERROR });
  vendor.end();
  server.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId: server.spanContext().traceId, serverId: server.spanContext().spanId };
}

function expectTree(traceId: string, serverId: string) {
  expect(received).toHaveLength(3);
  const xrayId = `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;
  for (const doc of received) expect(doc.trace_id).toBe(xrayId);
  const byName = Object.fromEntries(received.map((d) => [d.name, d]));
  expect(byName['parcel-api']).toMatchObject({
    id: serverId,
    fault: true,
    annotations: { parcel_id: 'PX-1' },
  });
  expect(byName['parcel-api']).not.toHaveProperty('type');
  expect(byName.DynamoDB).toMatchObject({
    type: 'subsegment',
    parent_id: serverId,
    namespace: 'aws',
    aws: { operation: 'GetItem', table_name: 'parcels' },
  });
  expect(byName.vendor).toMatchObject({
    type: 'subsegment',
    parent_id: serverId,
    namespace: 'remote',
    fault: true,
    cause: { exceptions: [{ type: 'Error', message: 'vendor timed out', remote: true }] },
  });
  const cause = byName.vendor?.cause as { exceptions: { stack?: unknown[] }[] } | undefined;
  expect(cause?.exceptions[0]?.stack?.length).toBeGreaterThan(0);
}

describe('OTLP/HTTP receiver', () => {
  it('takes the real OTLP/HTTP JSON exporter', async () => {
    const { traceId, serverId } = await exportTrace(new JsonExporter({ url }));
    expectTree(traceId, serverId);
    expect(stats).toMatchObject({ requests: 3, malformed: 0, spans: 3, documents: 3 });
  });

  it('takes the real OTLP/HTTP protobuf exporter, gzip-compressed', async () => {
    const { CompressionAlgorithm } = await import('@opentelemetry/otlp-exporter-base');
    const { traceId, serverId } = await exportTrace(
      new ProtoExporter({ url, compression: CompressionAlgorithm.GZIP }),
    );
    expectTree(traceId, serverId);
    expect(stats).toMatchObject({ requests: 3, malformed: 0, spans: 3 });
  });

  it('answers a malformed body with a 400 that says why, and counts it', async () => {
    const post = (body: string | Buffer, headers: Record<string, string>) =>
      fetch(url, { method: 'POST', body, headers }).then(async (r) => ({
        status: r.status,
        text: await r.text(),
      }));
    const json = { 'content-type': 'application/json' };
    expect(await post('{"resourceSpans":', json)).toMatchObject({
      status: 400,
      text: expect.stringMatching(/not a valid/),
    });
    expect(
      await post(
        '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"53995c3f42cd8ad8"}]}]}]}',
        json,
      ),
    ).toMatchObject({
      status: 400,
      text: expect.stringMatching(/traceId must be 16 bytes in hex/),
    });
    expect(
      await post(Buffer.from([0x0a, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' }),
    ).toMatchObject({ status: 400 });
    expect(await post(gzipSync('{}').subarray(0, 8), { ...json, 'content-encoding': 'gzip' })).toMatchObject({
      status: 400,
      text: expect.stringMatching(/gzip/),
    });
    expect(await post('{}', { 'content-type': 'text/plain' })).toMatchObject({ status: 415 });
    expect(
      await post(gzipSync(Buffer.alloc(40 * 1024 * 1024)), { ...json, 'content-encoding': 'gzip' }),
    ).toMatchObject({ status: 413 });
    expect(await post('{}', json)).toMatchObject({ status: 200, text: '{}' });
    expect(stats).toMatchObject({ requests: 7, malformed: 6, spans: 0 });
    expect(received).toEqual([]);
  });

  it('never crashes or answers 5xx, whatever the body (property)', async () => {
    const bodies = fc.oneof(
      fc
        .uint8Array({ maxLength: 512 })
        .map((b) => ({ body: Buffer.from(b), type: 'application/x-protobuf' })),
      fc.jsonValue().map((v) => ({ body: Buffer.from(JSON.stringify(v)), type: 'application/json' })),
      fc
        .record({
          resourceSpans: fc.array(
            fc.record({ scopeSpans: fc.array(fc.record({ spans: fc.array(fc.anything()) })) }),
          ),
        })
        .map((v) => ({ body: Buffer.from(JSON.stringify(v)), type: 'application/json' })),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async ({ body, type }) => {
        const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': type } });
        await res.arrayBuffer();
        return res.status === 200 || res.status === 400;
      }),
      { numRuns: 150 },
    );
    expect(stats.requests).toBe(150);
  });
});
