import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import { BatchGetTracesCommand, XRayClient } from '@aws-sdk/client-xray';
import { LOCAL_CREDENTIALS } from '@parcel/config';
import {
  type DaemonConfig,
  type DaemonStats,
  type RunningDaemon,
  startXrayDaemon,
} from '@parcel/xray-daemon';
import { encodeDatagram, newSegmentId, newTraceId, type SegmentDoc } from '@parcel/xray-protocol';
import { type RunningXrayService, startXrayService } from '@parcel/xray-service';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const udp = createSocket('udp4');
afterAll(() => udp.close());

const sendTo = (daemon: RunningDaemon, data: Buffer) =>
  new Promise<void>((resolve, reject) =>
    udp.send(data, daemon.port, daemon.host, (err) => (err ? reject(err) : resolve())),
  );

/** Sends in small bursts so the kernel's socket buffer never overflows: the test is about the daemon. */
async function sendAll(daemon: RunningDaemon, datagrams: Buffer[]) {
  for (let i = 0; i < datagrams.length; i++) {
    await sendTo(daemon, datagrams[i] as Buffer);
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 2));
  }
}

async function until<T>(read: () => T, ok: (v: T) => boolean, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const accounted = (s: DaemonStats) => s.forwarded + s.dropped + s.invalid + s.buffered + s.inFlight;

const baseConfig = (endpoint: string, overrides: Partial<DaemonConfig> = {}): DaemonConfig => ({
  address: { host: '127.0.0.1', port: 0 },
  endpoint,
  region: 'us-east-1',
  bufferMb: 3,
  concurrency: 8,
  batchSize: 50,
  flushIntervalMs: 50,
  ...overrides,
});

function segment(traceId: string, extra: Partial<SegmentDoc> = {}): SegmentDoc {
  const now = Date.now() / 1000;
  return {
    name: 'parcel-api',
    id: newSegmentId(),
    trace_id: traceId,
    start_time: now,
    end_time: now + 0.01,
    ...extra,
  };
}

describe('xray-daemon → xray-service', () => {
  let service: RunningXrayService;
  let daemon: RunningDaemon;
  let xray: XRayClient;

  beforeAll(async () => {
    service = await startXrayService({ port: 0, bindHost: '127.0.0.1', maxTraces: 10_000 });
    daemon = await startXrayDaemon(baseConfig(service.url));
    xray = new XRayClient({ endpoint: service.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  });
  afterAll(async () => {
    xray?.destroy();
    await daemon?.close();
    await service?.close();
  });

  it('forwards UDP segments, original text intact, readable through BatchGetTraces', async () => {
    const traceId = newTraceId();
    const root = segment(traceId, {
      annotations: { parcel_id: 'RR123456785GB' },
      metadata: { ünïcode: 'ok ✓' },
    });
    const sub: SegmentDoc = {
      type: 'subsegment',
      id: newSegmentId(),
      trace_id: traceId,
      parent_id: root.id,
      name: 'DynamoDB',
      namespace: 'aws',
      start_time: root.start_time,
      end_time: root.start_time + 0.001,
    };
    const before = daemon.stats();
    const many = Array.from({ length: 120 }, () => segment(newTraceId()));
    await sendAll(
      daemon,
      [root, sub, ...many].map((d) => encodeDatagram(d)),
    );
    const stats = await until(daemon.stats, (s) => s.forwarded - before.forwarded === 122);
    expect(stats.invalid).toBe(before.invalid);
    expect(stats.batchesSent - before.batchesSent).toBeGreaterThanOrEqual(3); // 122 segments, 50 per batch

    const out = await xray.send(
      new BatchGetTracesCommand({ TraceIds: [traceId, many[0]?.trace_id as string] }),
    );
    expect(out.UnprocessedTraceIds).toEqual([]);
    const trace = out.Traces?.find((t) => t.Id === traceId);
    const doc = JSON.parse(trace?.Segments?.[0]?.Document ?? '{}');
    expect(doc).toMatchObject({
      id: root.id,
      annotations: { parcel_id: 'RR123456785GB' },
      metadata: { ünïcode: 'ok ✓' },
    });
    expect(doc.subsegments?.[0]).toMatchObject({ id: sub.id, name: 'DynamoDB' });
  });

  it('counts invalid datagrams by reason and keeps serving', async () => {
    const before = daemon.stats();
    const valid = encodeDatagram(segment(newTraceId()));
    const bad: [string, Buffer][] = [
      ['missing_header', Buffer.from('garbage without a newline')],
      ['invalid_header', Buffer.from('{"format":"json","version":2}\n{}')],
      ['invalid_header', Buffer.from('not json\n{}')],
      ['invalid_json', valid.subarray(0, valid.length - 5)], // truncated
      ['invalid_json', Buffer.from('{"format":"json","version":1}\n{nope')],
      ['invalid_segment', encodeDatagram(JSON.stringify({ name: 'x', id: 'short' }))],
      ['missing_header', Buffer.from('{"format":"json","version":1}\n')],
    ];
    await sendAll(
      daemon,
      bad.map(([, b]) => b),
    );
    const s = await until(daemon.stats, (x) => x.received - before.received === bad.length);
    expect(s.invalid - before.invalid).toBe(bad.length);
    for (const reason of new Set(bad.map(([r]) => r))) {
      const expected = bad.filter(([r]) => r === reason).length;
      expect(
        s.invalidByReason[reason as keyof DaemonStats['invalidByReason']] -
          before.invalidByReason[reason as keyof DaemonStats['invalidByReason']],
        reason,
      ).toBe(expected);
    }
    // A datagram larger than UDP allows never leaves the sender; the daemon is unaffected.
    await expect(sendTo(daemon, Buffer.alloc(70_000, 0x61))).rejects.toThrow(/EMSGSIZE/);
    await sendTo(daemon, valid);
    await until(daemon.stats, (x) => x.forwarded - before.forwarded === 1);
    const health = await fetch(`${daemon.url}/health`);
    expect(health.status).toBe(200);
  });

  it('survives arbitrary bytes (fuzz): every datagram is counted exactly once', async () => {
    const before = daemon.stats();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 2000 }),
          fc.string().map((s) => new TextEncoder().encode(`{"format":"json","version":1}\n${s}`)),
          fc
            .jsonValue()
            .map((v) => new TextEncoder().encode(`{"format":"JSON","version":1}\n${JSON.stringify(v)}`)),
        ),
        async (bytes) => {
          await sendTo(daemon, Buffer.from(bytes));
          sent++;
        },
      ),
      { numRuns: 300 },
    );
    const s = await until(daemon.stats, (x) => x.received - before.received === sent);
    expect(s.invalid - before.invalid).toBe(sent); // no random input is a valid segment
    await daemon.drain();
    const drained = daemon.stats();
    expect(drained.received).toBe(drained.forwarded + drained.dropped + drained.invalid);
    const stats = (await (await fetch(`${daemon.url}/__daemon/stats`)).json()) as DaemonStats;
    expect(stats.received).toBe(drained.received);
  });

  it('proxies the X-Ray SDK for Node sampling calls (aws-xray-sdk-core service connector)', async () => {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const daemonConfig = require('aws-xray-sdk-core/dist/lib/daemon_config');
    const connector = require('aws-xray-sdk-core/dist/lib/middleware/sampling/service_connector');
    const saved = { ip: daemonConfig.tcp_ip, port: daemonConfig.tcp_port };
    daemonConfig.tcp_ip = daemon.host;
    daemonConfig.tcp_port = daemon.port;
    try {
      type Rule = {
        getName(): string;
        snapshotStatistics(): unknown;
        sample?: unknown;
        match(r: unknown): boolean;
      };
      const rules = await new Promise<Rule[]>((resolve, reject) =>
        connector.fetchSamplingRules((err: Error | null, r: Rule[]) => (err ? reject(err) : resolve(r))),
      );
      // The SDK kept both rules: neither was dropped by its validity checks.
      expect(rules.map((r) => r.getName()).sort()).toEqual(['Default', 'parcel-api']);
      const stage = rules.find((r) => r.getName() === 'parcel-api') as Rule;
      expect(
        stage.match({
          host: 'x',
          httpMethod: 'GET',
          urlPath: '/parcels/RR1',
          serviceName: 'parcelapi/local',
          serviceType: 'AWS::ApiGateway::Stage',
        }),
      ).toBe(true);
      const { targets, freshness } = await new Promise<{
        targets: Record<string, { TTL: number; quota: number; rate: number }>;
        freshness: number;
      }>((resolve, reject) =>
        connector.fetchTargets(
          rules,
          (err: Error | null, t: Record<string, { TTL: number; quota: number; rate: number }>, f: number) =>
            err ? reject(err) : resolve({ targets: t, freshness: f }),
        ),
      );
      const nowS = Date.now() / 1000;
      // As the SDK reads them: TTL in the future (not 1970), freshness about now.
      expect(targets.Default?.TTL).toBeGreaterThan(nowS);
      expect(targets.Default?.quota).toBe(1);
      expect(targets.Default?.rate).toBe(0.05);
      expect(Math.abs(freshness - nowS)).toBeLessThan(3600);
    } finally {
      daemonConfig.tcp_ip = saved.ip;
      daemonConfig.tcp_port = saved.port;
    }
  });
});

describe('xray-daemon with the lean HTTP uploader (XRAY_UPLOAD_CLIENT=http)', () => {
  it('delivers the same documents to the X-Ray service', async () => {
    const service = await startXrayService({ port: 0, bindHost: '127.0.0.1', maxTraces: 1000 });
    const daemon = await startXrayDaemon(
      baseConfig(service.url, { uploadClient: 'http', flushIntervalMs: 60_000 }),
    );
    const xray = new XRayClient({
      endpoint: service.url,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      const docs = Array.from({ length: 75 }, () =>
        segment(newTraceId(), { annotations: { quote: 'say "hi"\n', emoji: '📦' } }),
      );
      await sendAll(
        daemon,
        docs.map((d) => encodeDatagram(d)),
      );
      await until(daemon.stats, (x) => x.received === 75);
      await daemon.drain(); // the full batch went at once; drain sends the partial one
      const s = daemon.stats();
      expect(s.forwarded).toBe(75);
      expect(s.batchesSent).toBe(2);
      const out = await xray.send(
        new BatchGetTracesCommand({ TraceIds: docs.slice(0, 5).map((d) => d.trace_id) }),
      );
      expect(out.Traces).toHaveLength(5);
      for (const trace of out.Traces ?? []) {
        const sent = docs.find((d) => d.trace_id === trace.Id);
        expect(JSON.parse(trace.Segments?.[0]?.Document ?? '{}')).toEqual(sent);
      }
    } finally {
      xray.destroy();
      await daemon.close();
      await service.close();
    }
  });
});

describe('xray-daemon with the X-Ray API down', () => {
  it('buffers, then drops what does not fit and what fails to upload; the counters add up exactly', async () => {
    // An X-Ray API that accepts connections and never answers: uploads hang, the buffer fills.
    const sockets = new Set<NetSocket>();
    const hung: Server = createServer(() => {});
    hung.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    const daemon = await startXrayDaemon(
      baseConfig(endpoint, { bufferMb: 1, concurrency: 2, flushIntervalMs: 60_000 }),
    );
    try {
      const filler = 'x'.repeat(900);
      const datagrams = Array.from({ length: 1500 }, () =>
        encodeDatagram(segment(newTraceId(), { metadata: { filler } })),
      );
      await sendAll(daemon, [...datagrams, Buffer.from('junk')]);
      const s = await until(daemon.stats, (x) => x.received === 1501);
      expect(accounted(s)).toBe(s.received);
      expect(s.invalid).toBe(1);
      expect(s.droppedByReason.buffer_full).toBeGreaterThan(300);
      expect(s.bufferedBytes).toBeLessThanOrEqual(1024 * 1024);
      expect(s.inFlight).toBe(100); // two full uploads of 50, hanging (no partial batch: long flush interval)
      expect(s.forwarded).toBe(0);

      // The API dies: in-flight uploads fail and are dropped, not retried; then nothing can be sent.
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => hung.close(() => r()));
      await daemon.drain();
      const end = daemon.stats();
      expect(end.buffered + end.inFlight).toBe(0);
      expect(end.received).toBe(end.forwarded + end.dropped + end.invalid);
      expect(end.forwarded).toBe(0);
      expect(end.droppedByReason.upload_failed).toBe(end.received - 1 - end.droppedByReason.buffer_full);
      expect(end.dropped).toBe(end.droppedByReason.buffer_full + end.droppedByReason.upload_failed);
    } finally {
      for (const sock of sockets) sock.destroy();
      hung.close();
      await daemon.close();
    }
  });
});
