import type { AddressInfo } from 'node:net';
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { sampledHeader } from '@parcel/test-kit';
import { newSegmentId, newTraceId, parseTraceHeader } from '@parcel/xray-protocol';
import express from 'express';
import { describe, expect, it } from 'vitest';
import {
  currentTraceHeader,
  initTracing,
  type TracingBackend,
  traceAwsClient,
  traceErrors,
  traceRequests,
  tracingStats,
  withSubsegment,
} from '../index';
import type { SegmentCollector } from './otlp-collector';
import { awsClientAt, flattenSubsegments, getViaNodeHttp, useTracedApp } from './traced-app';

/**
 * The keep-on-error suite, run once per backend (each in a test file of its own: the backend is chosen
 * once per process), so that every backend keeps exactly what the lean recorder keeps. `collect` starts
 * what receives the backend's output and hands back X-Ray segment documents.
 */
export function keepOnErrorSuite(backend: TracingBackend, collect: () => Promise<SegmentCollector>): void {
  // Keep-on-error, end to end through a real Express app, real http and AWS SDK calls, a UDP collector.
  const SERVICE = 'keep-under-test';
  const traced = useTracedApp({
    collect,
    respond: ({ url }) => {
      if (url.includes('fail')) return { status: 503 };
      // Step Functions' StartSyncExecution answer: the execution ran and failed (HTTP 200).
      if (url === '/') return { body: '{"status":"FAILED","error":"States.TaskFailed"}' };
      return {};
    },
    build: ({ collector, downstream }) => {
      initTracing({
        serviceName: SERVICE,
        backend,
        daemonAddress: collector.address,
        // otel: a kept span reaches the collector within 50 ms, so a wait for it is not a 1 s wait.
        otlpExportDelayMs: 50,
        logLevel: 'silent',
        keepSlowMs: 0,
      });
      const sfn = traceAwsClient(new SFNClient({ ...awsClientAt(downstream.url), disableHostPrefix: true }));
      const app = express();
      app.get('/__tracing/stats', tracingStats(SERVICE));
      app.use(traceRequests(SERVICE));
      app.get('/ok', async (_req, res) => {
        await withSubsegment('work', () => getViaNodeHttp(`${downstream.url}/fine`));
        res.json({});
      });
      app.get('/boom', async (_req, res) => {
        await withSubsegment('work', () => getViaNodeHttp(`${downstream.url}/fine`));
        res.status(500).json({});
      });
      app.get('/stale-fallback', async (_req, res) => {
        // The call fails, the service still answers 200 (from a stale copy, say).
        await getViaNodeHttp(`${downstream.url}/fail`);
        res.json({ stale: true });
      });
      app.get('/sfn-failed', async (_req, res) => {
        await sfn.send(
          new StartSyncExecutionCommand({
            stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:x',
            input: '{}',
            traceHeader: currentTraceHeader(),
          }),
        );
        res.json({});
      });
      app.get('/slow', async (_req, res) => {
        await new Promise((r) => setTimeout(r, 150));
        res.json({});
      });
      app.use(traceErrors());
      return app;
    },
  });

  async function unsampled(path: string) {
    const root = newTraceId();
    const parent = newSegmentId();
    const res = await fetch(`${traced.url}${path}`, {
      headers: { 'x-amzn-trace-id': sampledHeader(root, parent, '0') },
    });
    await res.arrayBuffer();
    return { res, root, parent };
  }

  const segmentOf = async (root: string) => {
    await traced.collector.waitFor((s) => s.some((d) => d.trace_id === root));
    const docs = traced.collector.segments.filter((d) => d.trace_id === root);
    expect(docs).toHaveLength(1);
    return docs[0] as NonNullable<(typeof docs)[0]>;
  };

  const settle = () => new Promise((r) => setTimeout(r, 150));

  describe('keep-on-error for unsampled requests', () => {
    it('discards an unsampled request that went well: nothing sent, no X-Trace-Kept', async () => {
      const { res, root, parent } = await unsampled('/ok');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-trace-kept')).toBeNull();
      await settle();
      expect(traced.collector.segments.filter((d) => d.trace_id === root)).toEqual([]);
      // Still a segment id per hop: the call carried its own (unsent) subsegment id as Parent.
      const seen = parseTraceHeader(traced.downstream.received[0]?.headers['x-amzn-trace-id']);
      expect(seen).toMatchObject({ root, sampled: '0' });
      expect(seen?.parent).not.toBe(parent);
    });

    it('keeps an unsampled request that ends in a 5xx, with its subsegments, and says so', async () => {
      const { res, root, parent } = await unsampled('/boom');
      expect(res.status).toBe(500);
      expect(res.headers.get('x-trace-kept')).toBe('error');
      const doc = await segmentOf(root);
      expect(doc).toMatchObject({
        name: SERVICE,
        parent_id: parent,
        fault: true,
        annotations: { trace_kept: 'error' },
      });
      expect(doc.http?.request?.url).toBe(`${traced.url}/boom`);
      expect(doc.http?.response?.status).toBe(500);
      const subs = flattenSubsegments(doc);
      const work = subs.find((s) => s.sub.name === 'work');
      const remote = subs.find((s) => s.sub.namespace === 'remote');
      expect(remote?.parentId).toBe(work?.sub.id);
      expect(remote?.sub.http?.request?.url).toBe(`${traced.downstream.url}/fine`);
      // The kept path links up: the downstream was told Parent = this very subsegment.
      expect(parseTraceHeader(traced.downstream.received[0]?.headers['x-amzn-trace-id'])?.parent).toBe(
        remote?.sub.id,
      );
    });

    it('keeps as error when a downstream call failed even though the service answered 200', async () => {
      const { res, root } = await unsampled('/stale-fallback');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-trace-kept')).toBe('error');
      const doc = await segmentOf(root);
      expect(doc.annotations).toEqual({ trace_kept: 'error' });
      expect(doc.fault).toBeUndefined();
      const [call] = flattenSubsegments(doc);
      expect(call?.sub).toMatchObject({ fault: true, http: { response: { status: 503 } } });
    });

    it('keeps as error when StartSyncExecution answers an execution that did not succeed', async () => {
      const { res, root } = await unsampled('/sfn-failed');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-trace-kept')).toBe('error');
      const doc = await segmentOf(root);
      const [sfn] = flattenSubsegments(doc);
      expect(sfn?.sub).toMatchObject({
        name: 'SFN',
        namespace: 'aws',
        aws: { operation: 'StartSyncExecution' },
      });
    });

    it('keeps as downstream when a callee answered X-Trace-Kept', async () => {
      // A callee that kept its own segment, and a second app of this service calling it.
      const kept = express();
      kept.get('/kept', (_req, res) => {
        res.setHeader('X-Trace-Kept', 'latency');
        res.json({});
      });
      const server = kept.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const port = (server.address() as AddressInfo).port;
      const app = express();
      app.use(traceRequests(SERVICE));
      app.get('/kept-below', async (_req, res) => {
        await getViaNodeHttp(`http://127.0.0.1:${port}/kept`);
        res.json({});
      });
      const front = app.listen(0, '127.0.0.1');
      await new Promise((r) => front.once('listening', r));
      try {
        const root = newTraceId();
        const res = await fetch(`http://127.0.0.1:${(front.address() as AddressInfo).port}/kept-below`, {
          headers: { 'x-amzn-trace-id': sampledHeader(root, newSegmentId(), '0') },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('x-trace-kept')).toBe('downstream');
        const doc = await segmentOf(root);
        expect(doc.annotations).toEqual({ trace_kept: 'downstream' });
        expect(doc.fault).toBeUndefined();
      } finally {
        server.closeAllConnections();
        server.close();
        front.closeAllConnections();
        front.close();
      }
    });

    it('keeps as latency when the request took TRACE_KEEP_SLOW_MS or longer (0 disables)', async () => {
      const fast = await unsampled('/slow');
      expect(fast.res.headers.get('x-trace-kept')).toBeNull();
      initTracing({ serviceName: SERVICE, backend, keepSlowMs: 100, logLevel: 'silent' });
      try {
        const { res, root } = await unsampled('/slow');
        expect(res.headers.get('x-trace-kept')).toBe('latency');
        const doc = await segmentOf(root);
        expect(doc.annotations).toEqual({ trace_kept: 'latency' });
        expect((doc.end_time ?? 0) - doc.start_time).toBeGreaterThanOrEqual(0.1);
      } finally {
        initTracing({ serviceName: SERVICE, backend, keepSlowMs: 0, logLevel: 'silent' });
      }
    });

    it('sends sampled requests as always, without the header', async () => {
      const root = newTraceId();
      const res = await fetch(`${traced.url}/boom`, {
        headers: { 'x-amzn-trace-id': sampledHeader(root, newSegmentId()) },
      });
      expect(res.headers.get('x-trace-kept')).toBeNull();
      const doc = await segmentOf(root);
      expect(doc.annotations).toBeUndefined();
    });

    it('counts every request once: sampled, kept by reason, discarded', async () => {
      const before = (await (await fetch(`${traced.url}/__tracing/stats`)).json()) as Stats;
      await unsampled('/ok');
      await unsampled('/ok');
      await unsampled('/boom');
      await unsampled('/stale-fallback');
      await fetch(`${traced.url}/ok`, {
        headers: { 'x-amzn-trace-id': sampledHeader(newTraceId(), newSegmentId()) },
      });
      await settle();
      const after = (await (await fetch(`${traced.url}/__tracing/stats`)).json()) as Stats;
      expect(after.service).toBe(SERVICE);
      expect(after.requests - before.requests).toBe(5);
      expect(after.discarded - before.discarded).toBe(2);
      expect(after.kept.error - before.kept.error).toBe(2);
      expect(after.sampled.total - before.sampled.total).toBe(1);
      expect(
        after.sampled.total + after.kept.error + after.kept.latency + after.kept.downstream + after.discarded,
      ).toBe(after.requests);
    });
  });

  interface Stats {
    service: string;
    requests: number;
    sampled: { total: number };
    kept: { error: number; latency: number; downstream: number };
    discarded: number;
  }
}
