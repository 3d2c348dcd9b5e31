import { request } from 'node:http';
import { GetTraceSummariesCommand, PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';
import { LOCAL_CREDENTIALS } from '@parcel/config';
import { MAX_TRACE_DEPTH } from '@parcel/trace-model';
import { parcelTraceDocuments, subsegmentChain } from '@parcel/trace-model/testing';
import { newTraceId } from '@parcel/xray-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xrayFilterCompiler } from './filter-compiler';
import { type RunningXrayService, startXrayService } from './server';
import { MAX_TRACE_BYTES } from './trace-store';

let service: RunningXrayService;
let xray: XRayClient;
beforeAll(async () => {
  service = await startXrayService(
    {
      port: 0,
      bindHost: '127.0.0.1',
      maxTraces: 1000,
      maxBytes: 1_000_000,
      hostnames: ['xray-service'],
    },
    { filterCompiler: xrayFilterCompiler() },
  );
  xray = new XRayClient({ endpoint: service.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
});
afterAll(async () => {
  xray?.destroy();
  await service?.close();
});

/** A request with exactly these headers (fetch does not let a caller set Host). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: service.port, method, path, headers, setHost: false },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const host = () => `127.0.0.1:${service.port}`;
const hex = (n: number) => n.toString(16).padStart(16, '0');
const window = () => ({ StartTime: new Date(Date.now() - 60_000), EndTime: new Date(Date.now() + 60_000) });

describe('who may call (DNS rebinding, cross-site requests)', () => {
  it('every route refuses a Host that is not its own; loopback and its configured name pass', async () => {
    for (const path of ['/health', '/', '/console/api/traces?start=0&end=1']) {
      expect((await raw('GET', path, { host: 'attacker.example:2020' })).status, path).toBe(403);
      // Node's HTTP server itself answers a request without Host with 400.
      expect([400, 403], `${path} without Host`).toContain((await raw('GET', path, {})).status);
    }
    for (const name of [host(), `localhost:${service.port}`, 'xray-service:2020', 'XRAY-SERVICE']) {
      expect((await raw('GET', '/health', { host: name })).status, name).toBe(200);
    }
    const rebound = await raw(
      'POST',
      '/GetSamplingRules',
      { host: 'attacker.example', 'content-type': 'application/json' },
      '{}',
    );
    expect(rebound.status).toBe(403);
  });

  it('operations take only application/json and refuse a page’s non-loopback Origin', async () => {
    const post = (headers: Record<string, string>) =>
      raw('POST', '/CreateSamplingRule', { host: host(), ...headers }, '{"SamplingRule": null}');
    // A cross-site form or no-preflight fetch can send text/plain: refused before the body is read.
    expect((await post({ 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post({})).status).toBe(415);
    expect((await post({ 'content-type': 'application/json', origin: 'https://evil.example' })).status).toBe(
      403,
    );
    // What the SDKs send reaches the operation (which then refuses the null rule).
    expect((await post({ 'content-type': 'application/json; charset=utf-8' })).status).toBe(400);
    expect(
      (await post({ 'content-type': 'application/json', origin: `http://127.0.0.1:${service.port}` })).status,
    ).toBe(400);
  });
});

describe('bounded store', () => {
  it('refuses documents nested past the depth limit, with a reason, counted; reads keep answering', async () => {
    const traceId = newTraceId();
    const now = Date.now() / 1000;
    const docs = subsegmentChain(traceId, MAX_TRACE_DEPTH + 20, now).map((doc) => JSON.stringify(doc));
    const unprocessed = [];
    for (let i = 0; i < docs.length; i += 50) {
      const out = await xray.send(
        new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs.slice(i, i + 50) }),
      );
      unprocessed.push(...(out.UnprocessedTraceSegments ?? []));
    }
    expect(unprocessed).toHaveLength(docs.length - MAX_TRACE_DEPTH - 1);
    expect(unprocessed[0]).toMatchObject({ Id: hex(MAX_TRACE_DEPTH + 2), ErrorCode: 'NestingTooDeep' });
    const health = (await (await fetch(`${service.url}/health`)).json()) as {
      refused: Record<string, number>;
    };
    expect(health.refused.NestingTooDeep).toBe(unprocessed.length);
    const summaries = await xray.send(new GetTraceSummariesCommand(window()));
    expect(summaries.TraceSummaries?.some((s) => s.Id === traceId)).toBe(true);
  });

  it('bounds each trace as X-Ray does and the store in bytes, evicting the oldest', async () => {
    const traceId = newTraceId();
    const now = Date.now() / 1000;
    // A segment of about 60 kB (its metadata padded).
    const big = (trace: string, id: number) =>
      JSON.stringify({
        id: hex(id),
        trace_id: trace,
        name: 'svc',
        start_time: now,
        end_time: now + 1,
        metadata: { pad: 'x'.repeat(60_000) },
      });
    const refused = [];
    for (let i = 0; i < Math.ceil(MAX_TRACE_BYTES / 60_000) + 1; i++) {
      const out = await xray.send(
        new PutTraceSegmentsCommand({ TraceSegmentDocuments: [big(traceId, 1000 + i)] }),
      );
      refused.push(...(out.UnprocessedTraceSegments ?? []));
    }
    expect(refused.map((r) => r.ErrorCode)).toContain('TraceTooLarge');
    // Two more traces of 300 kB pass the store's 1 MB: the oldest traces are evicted, not the newest.
    for (let t = 0; t < 2; t++) {
      const other = newTraceId();
      const docs = Array.from({ length: 5 }, (_, i) => big(other, 2000 + i));
      const out = await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs }));
      expect(out.UnprocessedTraceSegments).toEqual([]);
    }
    const health = (await (await fetch(`${service.url}/health`)).json()) as {
      bytes: number;
      evicted: number;
    };
    expect(health.bytes).toBeLessThanOrEqual(1_000_000);
    expect(health.evicted).toBeGreaterThan(0);
  });
});

// X-Ray API reference, TraceSummary (HasFault: "the root segment document has a 500 series error") and
// FaultRootCause / ResponseTimeRootCause; developer guide "Using filter expressions", complex keywords.
describe('root causes through GetTraceSummaries', () => {
  it('a 200 over a faulted dependency: HasFault false, the dependency named; rootcause filters select it', async () => {
    const now = Date.now() / 1000;
    const traceId = newTraceId();
    const docs = parcelTraceDocuments({ traceId, start: now, cache: 'miss', vendor: 'timeout' });
    await xray.send(
      new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs.map((d) => JSON.stringify(d)) }),
    );
    const res = await xray.send(
      new GetTraceSummariesCommand({
        ...window(),
        FilterExpression: 'rootcause.fault.service { name = "vendor.localhost" }',
      }),
    );
    const summary = res.TraceSummaries?.find((s) => s.Id === traceId);
    expect(summary?.HasFault).toBe(false);
    const fault = summary?.FaultRootCauses?.[0];
    expect(fault?.ClientImpacting).toBe(false);
    expect(fault?.Services?.at(-1)).toMatchObject({
      Name: 'vendor.localhost',
      Type: 'remote',
      Inferred: true,
      EntityPath: [
        {
          Name: 'vendor.localhost',
          Remote: true,
          Exceptions: [{ Name: 'TimeoutError', Message: 'vendor timeout after 400 ms' }],
        },
      ],
    });
    const slow = summary?.ResponseTimeRootCauses?.[0]?.Services?.at(-1);
    expect(slow?.Name).toBe('vendor.localhost');
    expect(slow?.EntityPath?.[0]?.Coverage).toBeGreaterThan(0.5);
    const responseTime = await xray.send(
      new GetTraceSummariesCommand({
        ...window(),
        FilterExpression: 'rootcause.responsetime.entity { last AND remote AND name = "vendor.localhost" }',
      }),
    );
    expect(responseTime.TraceSummaries?.map((s) => s.Id)).toContain(traceId);
    const none = await xray.send(
      new GetTraceSummariesCommand({ ...window(), FilterExpression: 'rootcause.error.service' }),
    );
    expect(none.TraceSummaries?.map((s) => s.Id)).not.toContain(traceId);
  });
});
