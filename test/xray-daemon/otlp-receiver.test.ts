import { BatchGetTracesCommand, type XRayClient } from '@aws-sdk/client-xray';
import type { RunningDaemon } from '@parcel/xray-daemon';
import type { RunningXrayService } from '@parcel/xray-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXraySampling, type XraySampling } from '../support/xray-sampling';

/** Hand-made OTLP/JSON, as any client may send it: a server span and a client span under it. */
const now = Math.floor(Date.now() / 1000);
const traceHex = (epoch: number) => `${epoch.toString(16).padStart(8, '0')}a006649127e371903a2de979`;
const nanos = (s: number) => String(BigInt(s) * 1_000_000_000n);
const body = (spans: Record<string, unknown>[], serviceName = 'otlp-unit') =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
        scopeSpans: [{ spans }],
      },
    ],
  });
const span = (traceId: string, spanId: string, extra: Record<string, unknown> = {}) => ({
  traceId,
  spanId,
  name: 'GET /parcels/{id}',
  kind: 2,
  startTimeUnixNano: nanos(now),
  endTimeUnixNano: nanos(now + 1),
  attributes: [{ key: 'http.response.status_code', value: { intValue: 503 } }],
  ...extra,
});
const post = (url: string, text: string, type = 'application/json') =>
  fetch(`${url}/v1/traces`, { method: 'POST', body: text, headers: { 'content-type': type } }).then(
    async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }),
  );

describe('OTLP/HTTP into the daemon and the X-Ray service', () => {
  let path: XraySampling;
  let service: RunningXrayService;
  let daemon: RunningDaemon;
  let xray: XRayClient;
  beforeAll(async () => {
    path = await startXraySampling({
      otlpAddress: { host: '127.0.0.1', port: 0 },
      bufferMb: 3,
      flushIntervalMs: 20,
    });
    ({ service, daemon, xray } = path);
  });
  afterAll(() => path?.close());

  it('forwards spans as segment documents through the UDP path, counted the same way', async () => {
    const url = daemon.otlpUrl as string;
    const traceId = traceHex(now);
    const stale = traceHex(now - 30 * 86_400);
    const res = await post(
      url,
      body([
        span(traceId, '1000000000000001'),
        span(traceId, '1000000000000002', { kind: 3, parentSpanId: '1000000000000001', name: 'GET' }),
        span(stale, '1000000000000003'),
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ partialSuccess: { rejectedSpans: 1 } });
    await daemon.drain();
    const stats = daemon.stats();
    expect(stats.otlp).toEqual({ requests: 1, malformed: 0, spans: 3, rejectedSpans: 1, documents: 2 });
    expect(stats).toMatchObject({ received: 2, forwarded: 2, dropped: 0 });
    const out = await xray.send(
      new BatchGetTracesCommand({ TraceIds: [`1-${traceId.slice(0, 8)}-${traceId.slice(8)}`] }),
    );
    const docs = (out.Traces?.[0]?.Segments ?? []).map(
      (s) => JSON.parse(s.Document ?? '{}') as Record<string, unknown>,
    );
    expect(JSON.stringify(docs)).toContain('"fault":true');
    expect(docs.some((d) => d.id === '1000000000000001' && d.name === 'otlp-unit')).toBe(true);
  });

  it('refuses a malformed body with a 400 and a message, counted; other paths are 404', async () => {
    const url = daemon.otlpUrl as string;
    const before = daemon.stats().otlp;
    const res = await post(url, '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}');
    expect(res).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/traceId must be 16 bytes/) },
    });
    expect(daemon.stats().otlp).toMatchObject({
      requests: before.requests + 1,
      malformed: before.malformed + 1,
    });
    expect((await fetch(`${url}/v1/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('the X-Ray service endpoint takes W3C trace ids, and reports what its store refuses as partial success', async () => {
    const w3c = 'ffffffff5759e988bd862e3fe1be46a9';
    const tooLong = 'x'.repeat(250);
    const res = await post(
      service.url,
      body(
        [span(w3c, '2000000000000001'), span(w3c, '2000000000000002', { parentSpanId: '2000000000000001' })],
        tooLong,
      ),
    );
    // Both spans are SERVER spans named after a 250-character service: X-Ray refuses names over 200.
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      partialSuccess: { rejectedSpans: 2, errorMessage: expect.stringMatching(/name/) },
    });
    const ok = await post(service.url, body([span(w3c, '2000000000000003')]));
    expect(ok).toEqual({ status: 200, json: {} });
    const out = await xray.send(new BatchGetTracesCommand({ TraceIds: [`1-ffffffff-${w3c.slice(8)}`] }));
    expect(out.Traces?.[0]?.Segments?.map((s) => s.Id)).toEqual(['2000000000000003']);
  });
});
