import { Writable } from 'node:stream';
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { sampledHeader, startUdpCollector } from '@parcel/test-kit';
import type { SegmentDoc } from '@parcel/xray-protocol';
import { newSegmentId, newTraceId, parseTraceHeader } from '@parcel/xray-protocol';
import express from 'express';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  addMetadata,
  annotate,
  currentTraceHeader,
  initTracing,
  traceAwsClient,
  traceErrors,
  traceRequests,
  withSubsegment,
} from './index';
import { awsClientAt, flattenSubsegments, getViaNodeHttp, useTracedApp } from './testing/traced-app';

const logLines: Record<string, unknown>[] = [];
const logSink = new Writable({
  write(chunk, _enc, cb) {
    for (const line of String(chunk).split('\n')) if (line.trim()) logLines.push(JSON.parse(line));
    cb();
  },
});

let sfn: SFNClient;

const traced = useTracedApp({
  collect: () => startUdpCollector<SegmentDoc>(),
  respond: ({ url }) => (url.includes('fail') ? { status: 503 } : { body: '{"ok":true}' }),
  build: ({ collector, downstream }) => {
    const tracing = initTracing({
      serviceName: 'svc-under-test',
      backend: 'xray',
      daemonAddress: collector.address,
      logLevel: 'info',
      logDestination: logSink,
    });
    sfn = traceAwsClient(new SFNClient({ ...awsClientAt(downstream.url), disableHostPrefix: true }));
    const app = express();
    app.use(traceRequests('svc-under-test'));
    app.get('/ok/:n', async (req, res) => {
      const n = req.params.n;
      annotate('parcel_id', `P${n}`);
      tracing.logger.info({ n }, 'handling');
      const result = await withSubsegment(`work-${n}`, async () => {
        addMetadata('n', n);
        await new Promise((r) => setTimeout(r, Math.random() * 20));
        const call = await getViaNodeHttp(`${downstream.url}/down/${n}`);
        return call;
      });
      res.json({ n, result, header: currentTraceHeader() });
    });
    app.get('/bad', (_req, res) => {
      res.status(400).json({ error: 'bad' });
    });
    app.get('/slow-down', (_req, res) => {
      res.status(429).json({ error: 'throttled' });
    });
    app.get('/boom', async () => {
      await withSubsegment('inner', async () => {
        throw new Error('kaboom');
      });
    });
    app.get('/marked', async (_req, res) => {
      await withSubsegment('explicit', async (span) => {
        span.markError();
      });
      res.json({});
    });
    app.get('/downstream-fail', async (_req, res) => {
      const status = await getViaNodeHttp(`${downstream.url}/fail`);
      res.json({ status });
    });
    app.get('/sfn', async (_req, res) => {
      await sfn
        .send(
          new StartSyncExecutionCommand({
            stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:x',
            input: '{}',
            traceHeader: currentTraceHeader(),
          }),
        )
        .catch(() => undefined);
      res.json({});
    });
    app.use(traceErrors());
    return app;
  },
});

const segmentsOf = (traceId: string) => traced.collector.segments.filter((s) => s.trace_id === traceId);

describe('express segments (X-Ray backend)', () => {
  it('continues the incoming trace: name, parent, http fields, annotations, subsegments, response header', async () => {
    const root = newTraceId();
    const parent = newSegmentId();
    const res = await fetch(`${traced.url}/ok/7`, {
      headers: { 'x-amzn-trace-id': sampledHeader(root, parent) },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amzn-trace-id')).toBe(`Root=${root};Sampled=1`);
    const [segment] = await traced.collector.waitFor((s) => s.some((d) => d.trace_id === root));
    expect(segment).toBeDefined();
    const doc = segmentsOf(root)[0];
    if (!doc) throw new Error('no segment');
    expect(doc.name).toBe('svc-under-test');
    expect(doc.parent_id).toBe(parent);
    expect(doc.http?.request?.method).toBe('GET');
    expect(doc.http?.request?.url).toBe(`${traced.url}/ok/7`);
    expect(doc.http?.response?.status).toBe(200);
    expect(doc.error).toBeUndefined();
    expect(doc.fault).toBeUndefined();
    expect(doc.annotations).toEqual({ parcel_id: 'P7' });
    const subs = flattenSubsegments(doc);
    const work = subs.find((s) => s.sub.name === 'work-7');
    expect(work?.parentId).toBe(doc.id);
    expect(work?.sub.metadata).toEqual({ default: { n: '7' } });
    const call = subs.find((s) => s.sub.name === `127.0.0.1:${traced.downstream.port}`);
    expect(call?.parentId).toBe(work?.sub.id);
    expect(call?.sub.namespace).toBe('remote');
    expect(call?.sub.http?.response?.status).toBe(200);
    // The downstream saw the same trace, parented to the HTTP subsegment.
    const seen = parseTraceHeader(traced.downstream.received[0]?.headers['x-amzn-trace-id']);
    expect(seen).toMatchObject({ root, parent: call?.sub.id, sampled: '1' });
    const body = (await res.json()) as { header: string };
    expect(parseTraceHeader(body.header)).toMatchObject({ root, parent: doc.id, sampled: '1' });
  });

  it('marks 4xx error, 429 throttle, 5xx fault with the cause of an escaped exception', async () => {
    const ids = { bad: newTraceId(), slow: newTraceId(), boom: newTraceId() };
    const h = (root: string) => ({ 'x-amzn-trace-id': sampledHeader(root, newSegmentId()) });
    expect((await fetch(`${traced.url}/bad`, { headers: h(ids.bad) })).status).toBe(400);
    expect((await fetch(`${traced.url}/slow-down`, { headers: h(ids.slow) })).status).toBe(429);
    const boom = await fetch(`${traced.url}/boom`, { headers: h(ids.boom) });
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: { code: 'internal_error', message: 'internal error' } });
    await traced.collector.waitFor((s) => Object.values(ids).every((id) => s.some((d) => d.trace_id === id)));
    const [bad] = segmentsOf(ids.bad);
    expect(bad).toMatchObject({ error: true, http: { response: { status: 400 } } });
    expect(bad?.fault).toBeUndefined();
    const [slow] = segmentsOf(ids.slow);
    expect(slow).toMatchObject({ error: true, throttle: true, http: { response: { status: 429 } } });
    const [fault] = segmentsOf(ids.boom);
    expect(fault).toMatchObject({ fault: true, http: { response: { status: 500 } } });
    const inner = flattenSubsegments(fault as never).find((s) => s.sub.name === 'inner')?.sub;
    expect(inner?.fault).toBe(true);
    const innerCause = inner?.cause as { exceptions: { message: string }[] };
    expect(innerCause.exceptions[0]?.message).toBe('kaboom');
    // The segment's cause points at the subsegment where the exception was first recorded.
    expect(fault?.cause).toBeDefined();
  });

  it('marks a subsegment error explicitly and a downstream 5xx as a fault of its HTTP subsegment', async () => {
    const a = newTraceId();
    const b = newTraceId();
    await fetch(`${traced.url}/marked`, { headers: { 'x-amzn-trace-id': sampledHeader(a, newSegmentId()) } });
    await fetch(`${traced.url}/downstream-fail`, {
      headers: { 'x-amzn-trace-id': sampledHeader(b, newSegmentId()) },
    });
    await traced.collector.waitFor((s) => s.some((d) => d.trace_id === a) && s.some((d) => d.trace_id === b));
    const explicit = flattenSubsegments(segmentsOf(a)[0] as never).find((s) => s.sub.name === 'explicit');
    expect(explicit?.sub.error).toBe(true);
    const call = flattenSubsegments(segmentsOf(b)[0] as never)[0]?.sub;
    expect(call).toMatchObject({ fault: true, http: { response: { status: 503 } } });
  });

  it('sends nothing for Sampled=0 but carries the header on with Sampled=0', async () => {
    const root = newTraceId();
    const parent = newSegmentId();
    const res = await fetch(`${traced.url}/ok/1`, {
      headers: { 'x-amzn-trace-id': sampledHeader(root, parent, '0') },
    });
    expect(res.headers.get('x-amzn-trace-id')).toBe(`Root=${root};Sampled=0`);
    // A sampled request sent after it is the marker: once its segment is in, the other's would be too.
    const marker = newTraceId();
    await fetch(`${traced.url}/ok/1`, {
      headers: { 'x-amzn-trace-id': sampledHeader(marker, newSegmentId()) },
    });
    await traced.collector.waitFor((s) => s.some((d) => d.trace_id === marker));
    expect(segmentsOf(root)).toEqual([]);
    // Recorded in memory all the same (keep-on-error): the call carries the id of its own subsegment as
    // Parent, so a segment kept downstream links up with ours if we keep it too.
    const seen = parseTraceHeader(traced.downstream.received[0]?.headers['x-amzn-trace-id']);
    expect(seen).toMatchObject({ root, sampled: '0' });
    expect(seen?.parent).toMatch(/^[0-9a-f]{16}$/);
    expect(seen?.parent).not.toBe(parent);
    expect(res.headers.get('x-trace-kept')).toBeNull();
  });

  it('starts a new trace when the header is absent and decides sampling locally', async () => {
    const res = await fetch(`${traced.url}/ok/2`);
    const header = parseTraceHeader(res.headers.get('x-amzn-trace-id') ?? undefined);
    expect(header?.root).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(['0', '1']).toContain(header?.sampled);
  });

  it('passes Step Functions a traceHeader parented to the SFN subsegment of the call', async () => {
    const root = newTraceId();
    await fetch(`${traced.url}/sfn`, { headers: { 'x-amzn-trace-id': sampledHeader(root, newSegmentId()) } });
    await traced.collector.waitFor((s) => s.some((d) => d.trace_id === root));
    const sub = flattenSubsegments(segmentsOf(root)[0] as never).find((s) => s.sub.name === 'SFN')?.sub;
    expect(sub?.namespace).toBe('aws');
    const sent = traced.downstream.received.find((r) => r.body.includes('traceHeader'));
    const body = JSON.parse(sent?.body ?? '{}') as { traceHeader: string };
    expect(parseTraceHeader(body.traceHeader)).toMatchObject({ root, parent: sub?.id, sampled: '1' });
    expect(parseTraceHeader(sent?.headers['x-amzn-trace-id'])).toMatchObject({ root, parent: sub?.id });
    expect(Number(sent?.headers['content-length'])).toBe(Buffer.byteLength(sent?.body ?? ''));
  });

  it('writes trace_id on every log line of a request', async () => {
    const root = newTraceId();
    await fetch(`${traced.url}/ok/3`, {
      headers: { 'x-amzn-trace-id': sampledHeader(root, newSegmentId()) },
    });
    const line = logLines.find((l) => l.msg === 'handling' && l.n === '3');
    expect(line).toMatchObject({ trace_id: root, service: 'svc-under-test', level: 'info' });
  });

  it('writes one access-log line per request, sampled or not, with its trace id', async () => {
    for (const sampled of ['1', '0']) {
      const root = newTraceId();
      await fetch(`${traced.url}/ok/4`, {
        headers: { 'x-amzn-trace-id': `Root=${root};Sampled=${sampled}` },
      });
      await vi.waitFor(() =>
        expect(logLines.filter((l) => l.msg === 'request' && l.trace_id === root)).toHaveLength(1),
      );
      const line = logLines.find((l) => l.msg === 'request' && l.trace_id === root);
      expect(line).toMatchObject({
        method: 'GET',
        path: '/ok/4',
        status: 200,
        duration_ms: expect.any(Number),
      });
    }
  });
});

describe('hostile trace headers', () => {
  const valid = fc
    .tuple(fc.constantFrom('0', '1', '?', 'x', ''), fc.boolean())
    .map(([s, p]) => `Root=${newTraceId()}${p ? `;Parent=${newSegmentId()}` : ''};Sampled=${s}`);
  const printable = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  });
  const hostile = fc.oneof(
    printable,
    valid,
    fc.tuple(valid, printable).map(([v, junk]) => v + junk),
    fc.tuple(valid, fc.nat(60)).map(([v, n]) => v.slice(0, n)),
    fc.constant(`Root=${newTraceId()};${'A=b;'.repeat(600)}`),
  );

  it('never crash: malformed starts a new trace, valid continues', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (raw) => {
        const res = await fetch(`${traced.url}/bad`, { headers: { 'x-amzn-trace-id': raw } });
        expect(res.status).toBe(400);
        const returned = parseTraceHeader(res.headers.get('x-amzn-trace-id') ?? undefined);
        expect(returned?.root).toBeDefined();
        const parsed = parseTraceHeader(raw.trim());
        if (parsed) expect(returned?.root).toBe(parsed.root);
      }),
      { numRuns: 150 },
    );
  });
});

describe('concurrency', () => {
  it('200 concurrent requests never mix trace context', async () => {
    const requests = Array.from({ length: 200 }, (_, i) => ({ n: String(1000 + i), root: newTraceId() }));
    const responses = await Promise.all(
      requests.map(({ n, root }) =>
        fetch(`${traced.url}/ok/${n}`, {
          headers: { 'x-amzn-trace-id': sampledHeader(root, newSegmentId()) },
        }).then((r) => r.json() as Promise<{ n: string; header: string }>),
      ),
    );
    await traced.collector.waitFor(
      (s) => requests.every(({ root }) => s.some((d) => d.trace_id === root)),
      10_000,
    );
    for (const [i, { n, root }] of requests.entries()) {
      expect(responses[i]?.n).toBe(n);
      expect(parseTraceHeader(responses[i]?.header)?.root).toBe(root);
      const docs = segmentsOf(root);
      expect(docs).toHaveLength(1);
      const doc = docs[0] as NonNullable<(typeof docs)[0]>;
      expect(doc.annotations).toEqual({ parcel_id: `P${n}` });
      const subs = flattenSubsegments(doc);
      expect(subs.map((s) => s.sub.name)).toEqual([`work-${n}`, `127.0.0.1:${traced.downstream.port}`]);
      expect(subs[0]?.sub.metadata).toEqual({ default: { n } });
      // The downstream call that carried this root was made by this request's own subsegment.
      const received = traced.downstream.received.filter((r) => r.url === `/down/${n}`);
      expect(received).toHaveLength(1);
      expect(parseTraceHeader(received[0]?.headers['x-amzn-trace-id'])).toMatchObject({
        root,
        parent: subs[1]?.sub.id,
      });
    }
    expect(traced.collector.invalid).toBe(0);
  });
});
