import { createSocket, type Socket } from 'node:dgram';

/**
 * A UDP socket that collects what tracers send: tests open one on an ephemeral port and point
 * AWS_XRAY_DAEMON_ADDRESS (or a stand-in's daemon address) at it. It reads the daemon's datagram format
 * (a `{"format":"json","version":1}` line, then one JSON document) on its own, not with the production
 * decoder, so a test of the encoder is not checked by the code it tests. `Doc` is the document type a
 * test reads the segments as (SegmentDoc from @parcel/xray-protocol).
 */
export interface UdpCollector<Doc = Record<string, unknown>> {
  address: string;
  port: number;
  segments: Doc[];
  /** The size of every datagram received, valid or not, in arrival order. */
  datagramBytes: number[];
  /** Datagrams that were not a header line and a JSON object. */
  invalid: number;
  /** Resolves once `predicate` holds for the collected segments, or rejects after `timeoutMs`. */
  waitFor(predicate: (segments: Doc[]) => boolean, timeoutMs?: number): Promise<Doc[]>;
  clear(): void;
  close(): Promise<void>;
}

/** One datagram as the X-Ray daemon reads it: the header line, then a JSON object (else undefined). */
function readDatagram(data: Buffer): object | undefined {
  const newline = data.indexOf(0x0a);
  if (newline < 0) return undefined;
  try {
    const header = JSON.parse(data.toString('utf8', 0, newline)) as { format?: unknown; version?: unknown };
    if (String(header?.format).toLowerCase() !== 'json' || header.version !== 1) return undefined;
    const doc: unknown = JSON.parse(data.toString('utf8', newline + 1));
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

export async function startUdpCollector<Doc = Record<string, unknown>>(): Promise<UdpCollector<Doc>> {
  const socket: Socket = createSocket('udp4');
  const segments: Doc[] = [];
  const datagramBytes: number[] = [];
  const collector = {
    address: '',
    port: 0,
    segments,
    datagramBytes,
    invalid: 0,
    async waitFor(predicate: (s: Doc[]) => boolean, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(segments)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for segments; have ${segments.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return segments;
    },
    clear() {
      segments.length = 0;
      datagramBytes.length = 0;
      collector.invalid = 0;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (msg) => {
    datagramBytes.push(msg.length);
    const doc = readDatagram(msg);
    if (doc) segments.push(doc as Doc);
    else collector.invalid++;
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  collector.port = port;
  collector.address = `127.0.0.1:${port}`;
  return collector;
}
