import { SERVICE_METRICS } from '@parcel/config';
import { createEmfSink } from '@parcel/metrics';
import { describe, expect, it } from 'vitest';
import { createVendorStaleMetric } from './vendor-stale-metric';

const metricWriting = (lines: string[]) =>
  createVendorStaleMetric(createEmfSink('parcel-api', (l) => lines.push(l)));

/** Waits for the metric's (asynchronous) flush to have written its line(s). */
async function settled(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

describe('vendor_stale in Embedded Metric Format', () => {
  it('writes one EMF line per stale answer: ParcelTracking / vendor_stale, Count, no dimensions', async () => {
    const lines: string[] = [];
    const metric = metricWriting(lines);
    const before = Date.now();
    metric.record({ parcelId: 'RR123456785GB', vendorStatus: 'timeout', ageSeconds: 42, traceId: '1-abc' });
    await settled();

    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    expect(line).not.toContain('\n');
    const doc = JSON.parse(line);
    expect(doc).toEqual({
      vendor_stale: 1,
      parcelId: 'RR123456785GB',
      vendorStatus: 'timeout',
      ageSeconds: 42,
      traceId: '1-abc',
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'ParcelTracking',
            // One empty dimension set: published without dimensions, as the alarm's metric has none.
            Dimensions: [[]],
            Metrics: [{ Name: 'vendor_stale', Unit: 'Count' }],
          },
        ],
      },
    });
    expect(doc._aws.Timestamp).toBeGreaterThanOrEqual(before - 1);
    expect(doc._aws.Timestamp).toBeLessThanOrEqual(Date.now() + 1);
    expect(metric.count).toBe(1);
  });

  it('is the metric the vendor-stale alarm watches: SERVICE_METRICS, which infra reads too', async () => {
    const lines: string[] = [];
    metricWriting(lines).record({ parcelId: 'A', vendorStatus: 'error', ageSeconds: 0 });
    await settled();
    const directive = JSON.parse(lines[0] as string)._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe(SERVICE_METRICS.namespace);
    expect(directive.Metrics).toEqual([
      { Name: SERVICE_METRICS.vendorStale.name, Unit: SERVICE_METRICS.vendorStale.unit },
    ]);
  });

  it('each record is its own line and counts once; EMF member values stay root-level', async () => {
    const lines: string[] = [];
    const metric = metricWriting(lines);
    metric.record({ parcelId: 'A', vendorStatus: 'error', ageSeconds: 0 });
    metric.record({ parcelId: 'B', vendorStatus: 'timeout', ageSeconds: 7 });
    await settled();
    expect(lines.map((l) => JSON.parse(l).parcelId)).toEqual(['A', 'B']);
    for (const l of lines) {
      const doc = JSON.parse(l);
      // EMF: every metric named in a directive is a root member with a number value.
      for (const directive of doc._aws.CloudWatchMetrics) {
        for (const m of directive.Metrics) expect(typeof doc[m.Name]).toBe('number');
        for (const set of directive.Dimensions) for (const k of set) expect(typeof doc[k]).toBe('string');
      }
      expect(doc).not.toHaveProperty('traceId');
    }
    expect(metric.count).toBe(2);
  });
});
