import { SERVICE_METRICS } from '@parcel/config';
import { TRACE_KEPT_HEADER } from '@parcel/sampling-rules';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { createEmfSink } from './emf-sink';
import { createLatencyMetric, measureLatency } from './latency-metric';

const settled = () => new Promise((r) => setImmediate(r));
const T1 = '1-6b06d7db-b304b7fa44380266bad890c2';
const T2 = '1-6b06d7da-a846d4f291d3c5fc5db19dd1';
const T3 = '1-6b06d7dc-0846d4f291d3c5fc5db19dd3';

function collecting(intervalMs = 60_000) {
  const lines: string[] = [];
  const metric = createLatencyMetric({
    sink: createEmfSink('parcel-api', (l) => lines.push(l)),
    serviceName: 'parcel-api',
    intervalMs,
  });
  return { lines, metric, docs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('request latency in Embedded Metric Format', () => {
  it('one line per interval: latency values (ms), the exact request count, dimension Service, example traces', async () => {
    const { lines, metric, docs } = collecting();
    metric.record(12.5, T1);
    metric.record(250, T2);
    metric.record(40);
    metric.flush();
    await settled();
    expect(lines).toHaveLength(1);
    expect(docs()[0]).toEqual({
      latency: [12.5, 250, 40],
      requests: 3,
      Service: 'parcel-api',
      exampleTraceIds: [T2, T1],
      _aws: {
        Timestamp: expect.any(Number),
        // "Specification: Embedded metric format": a MetricDirective names its namespace, dimension sets
        // (each key a root member with a string value) and metrics (each a root member, a number or an
        // array of at most 100 numbers).
        CloudWatchMetrics: [
          {
            Namespace: SERVICE_METRICS.namespace,
            Dimensions: [['Service']],
            Metrics: [
              { Name: 'latency', Unit: 'Milliseconds' },
              { Name: 'requests', Unit: 'Count' },
            ],
          },
        ],
      },
    });
    metric.stop();
  });

  it('an interval without requests prints nothing; stop() prints what is left', async () => {
    const { lines, metric, docs } = collecting();
    metric.flush();
    await settled();
    expect(lines).toEqual([]);
    metric.record(7, T1);
    metric.stop();
    await settled();
    expect(docs().map((d) => d.requests)).toEqual([1]);
    metric.flush();
    await settled();
    expect(lines).toHaveLength(1);
  });

  it('3,000 requests in an interval are still one line of at most 100 values', async () => {
    const { lines, metric, docs } = collecting();
    for (let i = 0; i < 3000; i++) metric.record(i % 500, i % 10 === 0 ? T1 : undefined);
    metric.flush();
    await settled();
    expect(lines).toHaveLength(1);
    const doc = docs()[0] as { latency: number[]; requests: number };
    expect(doc.latency.length).toBe(100);
    expect(doc.requests).toBe(3000);
    metric.stop();
  });

  it('prints on its own every interval', async () => {
    const { metric, docs } = collecting(20);
    metric.record(3, T1);
    await expect.poll(() => docs().length, { timeout: 2000 }).toBe(1);
    metric.stop();
  });

  it('the middleware measures real requests and names only traces that were recorded', async () => {
    const { metric, docs } = collecting();
    const app = express();
    // As traceRequests answers: the trace header on every response, X-Trace-Kept when kept after all.
    app.get('/:case', (req, res) => {
      const c = req.params.case;
      res.setHeader(
        'x-amzn-trace-id',
        `Root=${c === 'sampled' ? T1 : c === 'kept' ? T2 : T3};Sampled=${c === 'sampled' ? 1 : 0}`,
      );
      if (c === 'kept') res.setHeader(TRACE_KEPT_HEADER, 'slow');
      setTimeout(() => res.json({ ok: true }), c === 'kept' ? 30 : 5);
    });
    const withMetric = express().use(measureLatency(metric)).use(app);
    const server = withMetric.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as { port: number };
    try {
      for (const c of ['sampled', 'kept', 'unsampled'])
        await (await fetch(`http://127.0.0.1:${port}/${c}`)).arrayBuffer();
      await settled();
      metric.flush();
      await settled();
      const doc = docs()[0] as { latency: number[]; requests: number; exampleTraceIds: string[] };
      expect(doc.requests).toBe(3);
      expect(doc.latency).toHaveLength(3);
      expect(doc.latency[1]).toBeGreaterThanOrEqual(29);
      // The recorded ones only: the unsampled one has no trace to show. (Which of the two a busy machine
      // made slower is not this test's business: slowest-first is latency-window.test.ts's, on set values.)
      expect([...doc.exampleTraceIds].sort()).toEqual([T1, T2].sort());
    } finally {
      metric.stop();
      await new Promise((r) => server.close(r));
    }
  });
});
