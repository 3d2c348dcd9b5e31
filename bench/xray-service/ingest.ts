/**
 * Ingest into the X-Ray service, in documents per second: through PutTraceSegments over HTTP (batches of
 * 50, four requests in flight, as the daemon's uploaders send them) and through the project's daemon (UDP
 * datagrams in, PutTraceSegments out). Both against a fresh service in this process; parcel documents.
 */
import { createSocket } from 'node:dgram';
import { parcelTraceDocuments } from '@parcel/trace-model/testing';
import { encodeDatagram } from '@parcel/xray-protocol';
import { startXrayService } from '@parcel/xray-service';
import { startXraySampling } from '../../test/support/xray-sampling';

export interface IngestResult {
  documents: number;
  httpDocumentsPerSecond: number;
  daemonDocumentsPerSecond: number;
  /** Offered to the daemon, datagrams/s. */
  daemonOfferedRate: number;
  /** Datagrams the daemon did not forward (dropped or lost in the kernel) in the daemon run. */
  daemonLost: number;
}

/** Datagrams per second offered to the daemon (the parcel path at 3,000 req/s × 10 % sampled ≈ 2,000). */
export const DAEMON_OFFERED_RATE = 2_000;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

function documents(count: number): string[] {
  const out: string[] = [];
  const now = Date.now() / 1000;
  for (let i = 0; out.length < count; i++) {
    const start = now - 60 + i / 1000;
    const docs = parcelTraceDocuments({
      traceId: `1-${hex(Math.floor(start), 8)}-${hex(i + 1, 24)}`,
      start,
      cache: i % 5 === 2 ? 'hit' : 'miss',
    });
    for (const d of docs) out.push(JSON.stringify(d));
  }
  return out.slice(0, count);
}

export async function measureIngest(count = 20_000): Promise<IngestResult> {
  const docs = documents(count);

  const http = await startXrayService({ port: 0, bindHost: '127.0.0.1', maxTraces: count });
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < docs.length) {
      const batch = docs.slice(next, next + 50);
      next += 50;
      const res = await fetch(`${http.url}/TraceSegments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ TraceSegmentDocuments: batch }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`PutTraceSegments ${res.status}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const httpSeconds = (performance.now() - t0) / 1000;
  await http.close();

  // The pair the tests start, sized for throughput: a large buffer and eight uploads at a time.
  const pair = await startXraySampling({ bufferMb: 64, concurrency: 8 }, count);
  const { daemon } = pair;
  const socket = createSocket('udp4');
  const datagrams = docs.map((d) => encodeDatagram(d));
  const t1 = performance.now();
  // Offered at DAEMON_OFFERED_RATE, one send at a time, so the kernel's receive buffer is not what is measured.
  const slice = DAEMON_OFFERED_RATE / 100;
  for (let i = 0; i < datagrams.length; i += slice) {
    const due = t1 + (i / DAEMON_OFFERED_RATE) * 1000;
    if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
    for (const datagram of datagrams.slice(i, i + slice)) {
      await new Promise<void>((resolve) => socket.send(datagram, daemon.port, '127.0.0.1', () => resolve()));
    }
  }
  // Until the daemon has read what the kernel holds for it (or nothing moves for half a second).
  let seen = -1;
  while (daemon.stats().received < count && daemon.stats().received !== seen) {
    seen = daemon.stats().received;
    await new Promise((r) => setTimeout(r, 500));
  }
  await daemon.drain();
  const daemonSeconds = (performance.now() - t1) / 1000;
  const forwarded = daemon.stats().forwarded;
  socket.close();
  await pair.close();
  return {
    documents: count,
    httpDocumentsPerSecond: Math.round(count / httpSeconds),
    daemonDocumentsPerSecond: Math.round(forwarded / daemonSeconds),
    daemonOfferedRate: DAEMON_OFFERED_RATE,
    daemonLost: count - forwarded,
  };
}
