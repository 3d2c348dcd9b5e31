import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { sampledHeader } from '@parcel/test-kit';
import { newSegmentId, newTraceId, parseTraceHeader } from '@parcel/xray-protocol';
import express from 'express';
import { describe, expect, it } from 'vitest';
import {
  annotate,
  createLogger,
  initTracing,
  traceAwsClient,
  traceRequests,
  tracingStats,
} from '../../index';
import { startOtlpCollector } from '../../testing/otlp-collector';
import { awsClientAt, flattenSubsegments, getViaNodeHttp, useTracedApp } from '../../testing/traced-app';
import { OtelProvider } from './provider';

// TRACING_BACKEND=otel through a real Express app, a real AWS SDK v3 client and outbound http, exported
// over OTLP/HTTP to a real local receiver that applies the collector's awsxray exporter rules.
const SERVICE = 'otel-under-test';
const traced = useTracedApp({
  collect: startOtlpCollector,
  // DynamoDB's GetItem answer for a missing item, then any other call: `{}` (the default).
  build: ({ collector, downstream }) => {
    initTracing({
      serviceName: SERVICE,
      backend: 'otel',
      otlpEndpoint: collector.endpoint,
      // A span reaches the collector within 50 ms: the test waits for it, not for the 1 s default.
      otlpExportDelayMs: 50,
      logLevel: 'silent',
    });
    const dynamodb = traceAwsClient(new DynamoDBClient(awsClientAt(downstream.url, 'eu-west-1')));
    const app = express();
    app.get('/__tracing/stats', tracingStats(SERVICE));
    app.use(traceRequests(SERVICE));
    app.get('/parcels/:id', async (req, res) => {
      annotate('parcel_id', req.params.id);
      annotate('cache', 'miss');
      await dynamodb.send(
        new GetItemCommand({ TableName: 'parcels', Key: { parcelId: { S: req.params.id } } }),
      );
      const down = await getViaNodeHttp(`${downstream.url}/v2/parcels/${req.params.id}?secret=1`);
      res.status(down === 200 ? 200 : 502).json({});
    });
    return app;
  },
});

describe('TRACING_BACKEND=otel', () => {
  it('continues the X-Ray trace and writes the attributes the awsxray exporter maps', async () => {
    const root = newTraceId();
    const parent = newSegmentId();
    const res = await fetch(`${traced.url}/parcels/RR123456785GB`, {
      headers: { 'x-amzn-trace-id': `${sampledHeader(root, parent)};Lineage=a87bd80c:1` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amzn-trace-id')).toBe(`Root=${root};Sampled=1`);
    await traced.collector.waitFor((s) =>
      s.some((d) => d.trace_id === root && (d.subsegments?.length ?? 0) >= 2),
    );
    const [doc] = traced.collector.segments.filter((d) => d.trace_id === root);
    if (!doc) throw new Error('no segment');
    expect(doc).toMatchObject({
      name: SERVICE,
      parent_id: parent,
      http: {
        request: { method: 'GET', url: `${traced.url}/parcels/RR123456785GB` },
        response: { status: 200 },
      },
      annotations: { parcel_id: 'RR123456785GB', cache: 'miss' },
    });
    const subs = flattenSubsegments(doc).map((s) => s.sub);
    const getItem = subs.find((s) => s.aws?.operation === 'GetItem');
    expect(getItem).toMatchObject({ name: 'DynamoDB', namespace: 'aws', aws: { table_name: 'parcels' } });
    const vendor = subs.find((s) => s.namespace === 'remote');
    expect(vendor).toMatchObject({
      name: `127.0.0.1:${traced.downstream.port}`,
      http: { request: { method: 'GET', url: `${traced.downstream.url}/v2/parcels/RR123456785GB` } },
    });
    // Downstream calls carry the project's header: Parent = the call's own span, Lineage carried on.
    const headers = traced.downstream.received.map((r) => parseTraceHeader(r.headers['x-amzn-trace-id']));
    expect(headers.map((h) => h?.parent).sort()).toEqual([getItem?.id, vendor?.id].sort());
    for (const h of headers) {
      expect(h).toMatchObject({ root, sampled: '1' });
      expect(h?.extra).toEqual([['Lineage', 'a87bd80c:1']]);
    }
    const stats = (await (await fetch(`${traced.url}/__tracing/stats`)).json()) as {
      backend: string;
      exporter: { transport: string; sent: number; dropped: number };
    };
    expect(stats.backend).toBe('otel');
    expect(stats.exporter.transport).toBe('otlp');
    expect(stats.exporter.sent).toBeGreaterThanOrEqual(3);
    expect(stats.exporter.dropped).toBe(0);
  });

  it('counts what it could not export (collector down), without failing a request', async () => {
    // The OTLP exporter retries a refused connection with backoff for as long as its timeout (10 s by
    // default) allows; OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, which it reads itself, makes that one attempt.
    process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT = '300';
    const provider = new OtelProvider(createLogger({ level: 'silent' }), {
      serviceName: 'lonely',
      daemonAddress: '127.0.0.1:9',
      otlpEndpoint: 'http://127.0.0.1:9',
      exportDelayMs: 1000,
      keepSlowMs: 0,
      recordUnsampled: true,
    });
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT;
    const req = { method: 'GET', url: 'http://x/y' };
    const span = provider.startServerSpan({
      name: 'lonely',
      traceId: newTraceId(),
      sampled: true,
      request: req,
      // The OTel provider never reads the exchange (only the stock SDK's Express middleware does).
      exchange: undefined as never,
    });
    span.startChild('work').end();
    span.end();
    await provider.flush();
    expect(provider.exportStats()).toMatchObject({ transport: 'otlp', sent: 0, dropped: 2 });
  });
});
