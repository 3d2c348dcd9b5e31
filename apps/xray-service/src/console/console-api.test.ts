import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '@parcel/trace-analysis';
import { parcelTrace } from '@parcel/trace-model/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xrayFilterCompiler } from '../filter-compiler';
import { type RunningXrayService, startXrayService } from '../server';
import { histogramPercentile } from './console-api';

let service: RunningXrayService;
let logDir: string;
const nowS = Date.now() / 1000;
const ok = parcelTrace({ secondsAgo: 5, cache: 'miss', parcelId: 'RR123456785GB' });
const broken = parcelTrace({ secondsAgo: 3, parcelId: 'CP987654326DE', fanoutFailed: true });
const old = parcelTrace({ secondsAgo: 400, cache: 'miss', parcelId: 'RR123456785GB' });
// Trace data is attacker-influenced: it comes back as data, never interpreted.
const [okEdge] = ok.docs;
if (okEdge) okEdge.annotations = { ...okEdge.annotations, note: '<img src=x onerror=alert(1)>' };

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'console-api-'));
  writeFileSync(
    join(logDir, 'parcel-api.log'),
    `${JSON.stringify({ level: 'warn', time: new Date().toISOString(), trace_id: broken.traceId, msg: 'fan-out did not return a parcel' })}\n`,
  );
  service = await startXrayService(
    { port: 0, bindHost: '127.0.0.1', maxTraces: 100 },
    { filterCompiler: xrayFilterCompiler(), logDir },
  );
  service.api.putTraceSegments({
    TraceSegmentDocuments: [...ok.docs, ...broken.docs, ...old.docs].map((d) => JSON.stringify(d)),
  });
});
afterAll(async () => {
  await service?.close();
  rmSync(logDir, { recursive: true, force: true });
});

const get = async (path: string, params: Record<string, string | number> = {}) => {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${service.url}${path}?${query}`);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
};
const lastMinute = { start: nowS - 60, end: nowS + 60 };

describe('console API', () => {
  it('lists the window’s traces newest first, with http, flags and annotations', async () => {
    const { status, body } = await get('/console/api/traces', lastMinute);
    expect(status).toBe(200);
    const traces = body.traces as Record<string, unknown>[];
    expect(traces.map((t) => t.id)).toEqual([broken.traceId, ok.traceId]);
    expect(traces[0]).toMatchObject({ status: 502, fault: true, method: 'GET' });
    expect(traces[1]).toMatchObject({
      status: 200,
      fault: false,
      url: 'https://127.0.0.1:3000/parcels/RR123456785GB',
    });
    expect((traces[1]?.annotations as Record<string, unknown> | undefined)?.note).toEqual([
      '<img src=x onerror=alert(1)>',
    ]);
    expect(body).toMatchObject({ processed: 2, matched: 2 });
  });

  it('filters with the API’s expression compiler; a bad expression is a 400 with its position', async () => {
    const found = await get('/console/api/traces', {
      ...lastMinute,
      filter: 'service("warehouse-query") { fault }',
    });
    expect((found.body.traces as { id: string }[]).map((t) => t.id)).toEqual([broken.traceId]);
    const bad = await get('/console/api/traces', { ...lastMinute, filter: 'annotation.parcel_id = ' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ position: 23 });
  });

  it('gives one trace as the model assembled it (waterfall rows with depths), its root causes and log lines', async () => {
    const { status, body } = await get(`/console/api/traces/${broken.traceId}`);
    expect(status).toBe(200);
    const rows = body.rows as { id: string; name: string; depth: number; kind: string; parentId?: string }[];
    expect(rows[0]).toMatchObject({ depth: 0, kind: 'segment' });
    const warehouse = rows.find((r) => r.name === 'warehouse-query');
    expect(warehouse?.depth).toBeGreaterThan(0);
    expect(rows.some((r) => r.id === warehouse?.parentId)).toBe(true);
    expect(body.rootCauses).toHaveProperty('fault');
    expect(body.logs).toEqual([
      expect.objectContaining({ piece: 'parcel-api', level: 'warn', msg: 'fan-out did not return a parcel' }),
    ]);
    expect((await get('/console/api/traces/1-00000000-000000000000000000000000')).status).toBe(404);
    expect((await get('/console/api/traces/..%2F..%2Fetc')).status).toBe(400);
    // A malformed percent-escape is the caller's mistake: 400, not a 500 from decodeURIComponent.
    const malformed = await get('/console/api/traces/%E0%A4%A');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ type: 'InvalidRequestException' });
  });

  it('draws the service map with counts, rates and percentiles', async () => {
    const { body } = await get('/console/api/service-map', lastMinute);
    const nodes = body.nodes as {
      name: string;
      count: number;
      faultRate: number;
      p50: number;
      p99: number;
      edges: unknown[];
    }[];
    const warehouse = nodes.find((n) => n.name === 'warehouse-query');
    // Two warehouse-query segments a trace (PostgreSQL leg 46 ms, vendor leg 296 ms); the broken vendor leg faulted.
    expect(warehouse).toMatchObject({ count: 4, faultRate: 0.25 });
    expect(warehouse?.p50).toBeCloseTo(0.046, 6);
    // The vendor call: 78 ms, or 400 ms until it timed out.
    const vendor = nodes.find((n) => n.name === 'vendor.localhost');
    expect(vendor?.p99).toBeCloseTo(0.4, 6);
    expect(nodes.find((n) => n.name === 'client')?.edges).toHaveLength(1);
  });

  it('analyses the window as @parcel/trace-analysis does, and the window before it', async () => {
    const { body } = await get('/console/api/analytics', {
      ...lastMinute,
      groupBy: 'name',
      compareStart: nowS - 600,
      compareEnd: nowS - 60,
    });
    const models = [broken.traceId, ok.traceId].map((id) => service.api.store.model(id));
    const expected = analyze(models.filter((m) => m !== undefined));
    expect(body.current).toMatchObject({ traces: 2, rows: expected.rows, p99: expected.p99 });
    expect(body.previous).toMatchObject({ traces: 1 });
    const byAnnotation = await get('/console/api/analytics', {
      ...lastMinute,
      groupBy: 'annotation:parcel_id',
    });
    expect((byAnnotation.body.current as { rows: { key: string }[] }).rows.map((r) => r.key).sort()).toEqual([
      'parcel_id=CP987654326DE',
      'parcel_id=RR123456785GB',
    ]);
    expect((await get('/console/api/analytics', { ...lastMinute, groupBy: 'annotation:a b' })).status).toBe(
      400,
    );
    // The root-cause view: each trace counted under its fault root cause.
    const byCause = await get('/console/api/analytics', { ...lastMinute, groupBy: 'rootcause:fault' });
    expect(byCause.status).toBe(200);
    const causeRows = (byCause.body.current as { rows: { key: string; count: number }[] }).rows;
    expect(causeRows.reduce((n, r) => n + r.count, 0)).toBeGreaterThan(0);
  });

  it('serves the page with a policy that forbids inline script; refuses unknown paths', async () => {
    const page = await fetch(`${service.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('/console/app.js');
    expect((await fetch(`${service.url}/console/app.js`)).headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${service.url}/console/../package.json`)).status).toBe(404);
    expect((await fetch(`${service.url}/console/server.ts`)).status).toBe(404);
    expect((await get('/console/api/traces', {})).status).toBe(400);
  });

  it('charts the pieces’ EMF metrics per period, each bucket naming its example traces', async () => {
    const line = {
      latency: [12, 480],
      requests: 2,
      Service: 'parcel-api',
      exampleTraceIds: [broken.traceId, ok.traceId],
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: 'ParcelTracking',
            Dimensions: [['Service']],
            Metrics: [
              { Name: 'latency', Unit: 'Milliseconds' },
              { Name: 'requests', Unit: 'Count' },
            ],
          },
        ],
      },
    };
    appendFileSync(join(logDir, 'parcel-api.log'), `${JSON.stringify(line)}\n`);
    const latency = async () => {
      const { body } = await get('/console/api/metrics', { ...lastMinute, period: 10 });
      return (body.metrics as { name: string; points: Record<string, unknown>[] }[]).find(
        (m) => m.name === 'latency',
      );
    };
    await expect.poll(latency).toMatchObject({
      namespace: 'ParcelTracking',
      unit: 'Milliseconds',
      dimensions: { Service: 'parcel-api' },
      points: [{ count: 2, max: 480, p99: 480, traceIds: [broken.traceId, ok.traceId] }],
    });
    // A point's traces: the list narrowed to the ids it names.
    const listed = await get('/console/api/traces', { ...lastMinute, ids: `${ok.traceId}` });
    expect((listed.body.traces as { id: string }[]).map((t) => t.id)).toEqual([ok.traceId]);
  });

  it('answers a bad metrics or ids query with a 400 saying what is wrong, never a 500', async () => {
    for (const [params, message] of [
      [{}, /start and end/],
      [{ ...lastMinute, period: '0' }, /period must be a whole number/],
      [{ ...lastMinute, period: '1.5' }, /period must be a whole number/],
      [{ ...lastMinute, period: '99999' }, /period must be a whole number/],
      [{ ...lastMinute, period: 'NaN' }, /period must be a whole number/],
      [{ start: nowS - 86_000, end: nowS, period: '1' }, /at most 1440 buckets/],
      [{ start: nowS, end: nowS - 10 }, /end must not be before start/],
    ] as const) {
      const { status, body } = await get('/console/api/metrics', params);
      expect(status, JSON.stringify(params)).toBe(400);
      expect((body.error as { message: string }).message).toMatch(message);
    }
    for (const ids of [
      'nope',
      `${ok.traceId},<script>`,
      Array.from({ length: 21 }, () => ok.traceId).join(','),
    ]) {
      const { status, body } = await get('/console/api/traces', { ...lastMinute, ids });
      expect(status).toBe(400);
      expect((body.error as { message: string }).message).toMatch(/ids/);
    }
  });

  it('reads percentiles off a histogram by nearest rank', () => {
    const histogram = [
      { Value: 0.1, Count: 98 },
      { Value: 0.5, Count: 1 },
      { Value: 2, Count: 1 },
    ];
    expect(histogramPercentile(histogram, 50)).toBe(0.1);
    expect(histogramPercentile(histogram, 99)).toBe(0.5);
    expect(histogramPercentile(histogram, 100)).toBe(2);
    expect(histogramPercentile([], 99)).toBe(0);
  });
});
