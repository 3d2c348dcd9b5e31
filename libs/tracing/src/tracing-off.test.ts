import type { AddressInfo } from 'node:net';
import { sampledHeader, startRecordingServer, startUdpCollector } from '@parcel/test-kit';
import type { SegmentDoc } from '@parcel/xray-protocol';
import { newSegmentId, newTraceId, parseTraceHeader } from '@parcel/xray-protocol';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { annotate, currentSpan, initTracing, traceRequests, withSubsegment } from './index';

// A file of its own: the backend is chosen once per process.
describe('TRACING_BACKEND=off', () => {
  it('records nothing, still returns and carries the trace header on', async () => {
    const collector = await startUdpCollector<SegmentDoc>();
    const downstream = await startRecordingServer();
    const tracing = initTracing({ serviceName: 'quiet', backend: 'off', daemonAddress: collector.address });
    expect(tracing.backend).toBe('off');
    const app = express();
    app.use(traceRequests('quiet'));
    app.get('/x', async (_req, res) => {
      annotate('parcel_id', 'RR123456785GB');
      const status = await withSubsegment('work', async (span) => {
        span.markFault();
        const https = await import('node:http');
        return new Promise<number>((resolve) =>
          https.get(`${downstream.url}/d`, (r) => {
            r.resume();
            r.on('end', () => resolve(r.statusCode ?? 0));
          }),
        );
      });
      res.json({ status, recording: currentSpan().recording });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const root = newTraceId();
      const parent = newSegmentId();
      const res = await fetch(`${url}/x`, {
        headers: { 'x-amzn-trace-id': `${sampledHeader(root, parent)};Lineage=a1:0` },
      });
      expect(await res.json()).toEqual({ status: 200, recording: false });
      expect(res.headers.get('x-amzn-trace-id')).toBe(`Root=${root};Sampled=1`);
      // Passed on as a pass-through hop would: same root, the caller's parent, same decision, extras kept.
      expect(parseTraceHeader(downstream.received[0]?.headers['x-amzn-trace-id'])).toEqual({
        root,
        parent,
        sampled: '1',
        extra: [['Lineage', 'a1:0']],
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(collector.segments).toEqual([]);
    } finally {
      server.closeAllConnections();
      server.close();
      await downstream.close();
      await collector.close();
    }
  });
});
