import { createSocket, type Socket } from 'node:dgram';
import { decodeDatagram } from './datagram';
import type { SegmentDoc } from './segment';

/**
 * A UDP socket that collects what tracers send: tests open one on an ephemeral port and point
 * AWS_XRAY_DAEMON_ADDRESS (or a stand-in's daemon address) at it.
 */
export interface UdpCollector {
  address: string;
  port: number;
  segments: SegmentDoc[];
  /** The size of every datagram received, valid or not, in arrival order. */
  datagramBytes: number[];
  invalid: number;
  /** Resolves once `predicate` holds for the collected segments, or rejects after `timeoutMs`. */
  waitFor(predicate: (segments: SegmentDoc[]) => boolean, timeoutMs?: number): Promise<SegmentDoc[]>;
  clear(): void;
  close(): Promise<void>;
}

export async function startUdpCollector(): Promise<UdpCollector> {
  const socket: Socket = createSocket('udp4');
  const segments: SegmentDoc[] = [];
  const datagramBytes: number[] = [];
  const collector = {
    address: '',
    port: 0,
    segments,
    datagramBytes,
    invalid: 0,
    async waitFor(predicate: (s: SegmentDoc[]) => boolean, timeoutMs = 5000) {
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
    const result = decodeDatagram(msg);
    if (result.ok) segments.push(result.segment);
    else collector.invalid++;
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  collector.port = port;
  collector.address = `127.0.0.1:${port}`;
  return collector;
}
