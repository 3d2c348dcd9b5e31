import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmfSink, createLatencyMetric } from '@parcel/metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../testing/temp-dir';
import { EmfIndex, readEmf } from './emf-index';
import { LogTailer } from './log-tailer';

const T1 = '1-6b06d7db-b304b7fa44380266bad890c2';
const T2 = '1-6b06d7da-a846d4f291d3c5fc5db19dd1';
const tempDir = useTempDir('emf-index-');

const settled = () => new Promise((r) => setImmediate(r));
const at = (seconds: number) => seconds * 1000;
/** An EMF line as "Specification: Embedded metric format" defines it. */
const emf = (
  timeMs: number,
  metrics: Record<string, number | number[]>,
  extra: Record<string, unknown> = {},
  unit = 'Count',
) =>
  `${JSON.stringify({
    ...metrics,
    ...extra,
    _aws: {
      Timestamp: timeMs,
      CloudWatchMetrics: [
        {
          Namespace: 'ParcelTracking',
          Dimensions: [[]],
          Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: unit })),
        },
      ],
    },
  })}\n`;
const index = () => new EmfIndex(new LogTailer(tempDir(), { minScanIntervalMs: 0 }));

describe('EmfIndex', () => {
  it('reads the lines the services print (the shared EMF sink), buckets them, keeps their example traces', async () => {
    const lines: string[] = [];
    const sink = createEmfSink('parcel-api', (l) => lines.push(l));
    const latency = createLatencyMetric({ sink, serviceName: 'parcel-api', intervalMs: 60_000 });
    for (const [ms, id] of [
      [20, T1],
      [400, T2],
      [30, undefined],
    ] as const)
      latency.record(ms, id);
    latency.stop();
    sink.emit({
      namespace: 'ParcelTracking',
      dimensions: {},
      metrics: [{ name: 'vendor_stale', unit: 'Count', values: [1] }],
      properties: { traceId: T1, parcelId: 'RR123456785GB' },
    });
    await settled();
    writeFileSync(join(tempDir(), 'parcel-api.log'), `{"level":30,"msg":"not EMF"}\n${lines.join('\n')}\n`);

    const now = Date.now() / 1000;
    const series = await index().query({ start: now - 60, end: now + 60, periodSeconds: 60 });
    const byName = Object.fromEntries(series.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['latency', 'requests', 'vendor_stale']);
    expect(byName.latency).toMatchObject({
      namespace: 'ParcelTracking',
      unit: 'Milliseconds',
      dimensions: { Service: 'parcel-api' },
    });
    expect(byName.latency?.points).toEqual([
      { t: now - 60, count: 3, sum: 450, avg: 150, max: 400, p99: 400, traceIds: [T2, T1] },
    ]);
    expect(byName.requests?.points[0]).toMatchObject({ count: 1, sum: 3 });
    expect(byName.vendor_stale?.points[0]).toMatchObject({ sum: 1, traceIds: [T1] });
  });

  it('buckets by period from the window’s start, and leaves out what lies outside it', async () => {
    writeFileSync(
      join(tempDir(), 'a.log'),
      emf(at(1000), { vendor_stale: 1 }, { traceId: T1 }) +
        emf(at(1009.9), { vendor_stale: 1 }) +
        emf(at(1010), { vendor_stale: 2 }, { traceId: T2 }) +
        emf(at(1030), { vendor_stale: 1 }) +
        emf(at(999), { vendor_stale: 5 }),
    );
    const [series] = await index().query({ start: 1000, end: 1030, periodSeconds: 10 });
    expect(series?.points.map((p) => [p.t, p.sum, p.traceIds])).toEqual([
      [1000, 2, [T1]],
      [1010, 2, [T2]],
    ]);
  });

  it('skips what is not EMF: bad JSON, missing or wrong members, over 100 values, bad trace ids, foreign keys', async () => {
    const base = {
      _aws: {
        Timestamp: at(1000),
        CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['Service']], Metrics: [{ Name: 'm' }] }],
      },
    };
    const variants: unknown[] = [
      { ...base, m: 1 }, // no Service member for the dimension set
      { ...base, m: 1, Service: 7 }, // dimension value not a string
      { ...base, m: 'fast', Service: 's' },
      { ...base, m: Array.from({ length: 101 }, () => 1), Service: 's' },
      { ...base, m: [], Service: 's' },
      { ...base, m: [1, null], Service: 's' },
      { m: 1, Service: 's', _aws: { CloudWatchMetrics: base._aws.CloudWatchMetrics } }, // no Timestamp
      { m: 1, Service: 's', _aws: { Timestamp: 'now', CloudWatchMetrics: base._aws.CloudWatchMetrics } },
      { m: 1, Service: 's', _aws: { Timestamp: at(1000), CloudWatchMetrics: {} } },
      { m: 1, Service: 's', _aws: [] },
      [base],
      null,
      // Inherited members are no metric values: only the line's own.
      {
        _aws: {
          Timestamp: at(1000),
          CloudWatchMetrics: [
            { Namespace: 'N', Dimensions: [[]], Metrics: [{ Name: 'constructor' }, { Name: 'toString' }] },
          ],
        },
      },
    ];
    for (const v of variants) expect(readEmf(v), JSON.stringify(v)).toEqual([]);
    writeFileSync(
      join(tempDir(), 'x.log'),
      `${variants.map((v) => JSON.stringify(v)).join('\n')}\n{"_aws": nope\n${JSON.stringify({ ...base, m: [2, 3], Service: 's', traceId: '<script>', exampleTraceIds: [T1, 5, 'x'] })}\n`,
    );
    const series = await index().query({ start: 900, end: 1100, periodSeconds: 60 });
    expect(series).toHaveLength(1);
    expect(series[0]).toMatchObject({ name: 'm', unit: 'None', dimensions: { Service: 's' } });
    expect(series[0]?.points[0]).toMatchObject({ count: 2, sum: 5, traceIds: [T1] });
  });

  it('one line, several dimension sets: one series per set, as CloudWatch publishes them', () => {
    const doc = {
      latency: [5, 7],
      Service: 'parcel-api',
      Stage: 'prod',
      _aws: {
        Timestamp: 1,
        CloudWatchMetrics: [
          {
            Namespace: 'N',
            Dimensions: [['Service'], ['Service', 'Stage']],
            Metrics: [{ Name: 'latency', Unit: 'Milliseconds' }],
          },
        ],
      },
    };
    expect(readEmf(doc).map((m) => m.identity.dimensions)).toEqual([
      { Service: 'parcel-api' },
      { Service: 'parcel-api', Stage: 'prod' },
    ]);
  });

  it('bounds memory: the oldest values go first, and no more series than allowed', async () => {
    const file = join(tempDir(), 'p.log');
    writeFileSync(file, '');
    for (let i = 0; i < 30; i++) appendFileSync(file, emf(at(1000 + i), { [`m${i % 3}`]: [1, 2, 3, 4] }));
    const bounded = new EmfIndex(new LogTailer(tempDir(), { minScanIntervalMs: 0 }), {
      maxValues: 40,
      maxSeries: 2,
    });
    const series = await bounded.query({ start: 0, end: 2000, periodSeconds: 3600 });
    expect(bounded.valueCount).toBeLessThanOrEqual(40);
    expect(bounded.seriesCount).toBeLessThanOrEqual(2);
    expect(series.map((s) => s.name).sort()).toEqual(['m0', 'm1']);
    // What is left is the newest.
    const times = series.flatMap((s) => s.points.map((p) => p.t));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(0);
    expect(series.reduce((n, s) => n + s.points.reduce((k, p) => k + p.count, 0), 0)).toBe(
      bounded.valueCount,
    );
  });

  it('hostile lines never throw and never yield a value that is not a finite number (fast-check)', () => {
    const hostile = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({
        _aws: fc.record({
          Timestamp: fc.oneof(fc.double(), fc.string(), fc.constant(null)),
          CloudWatchMetrics: fc.array(
            fc.record({
              Namespace: fc.oneof(fc.string(), fc.integer()),
              Dimensions: fc.oneof(
                fc.array(fc.array(fc.string(), { maxLength: 3 }), { maxLength: 2 }),
                fc.string(),
              ),
              Metrics: fc.array(
                fc.record({
                  Name: fc.oneof(fc.constantFrom('m', '__proto__', 'constructor'), fc.string()),
                  Unit: fc.anything(),
                }),
                { maxLength: 3 },
              ),
            }),
            { maxLength: 2 },
          ),
        }),
        m: fc.oneof(
          fc.double(),
          fc.array(fc.oneof(fc.double(), fc.string()), { maxLength: 120 }),
          fc.anything(),
        ),
        traceId: fc.oneof(fc.string(), fc.constant(T1)),
      }),
    );
    fc.assert(
      fc.property(hostile, (value) => {
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return;
        }
        for (const metric of readEmf(parsed)) {
          expect(metric.values.length).toBeGreaterThan(0);
          expect(metric.values.length).toBeLessThanOrEqual(100);
          for (const v of metric.values) expect(Number.isFinite(v)).toBe(true);
          for (const id of metric.traceIds) expect(id).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
          expect(typeof metric.identity.namespace).toBe('string');
        }
      }),
      { numRuns: 500 },
    );
  });
});
