import { createSocket, type Socket } from 'node:dgram';
import { encodeDatagram, MAX_DATAGRAM_BYTES, type SegmentDoc } from '@parcel/xray-protocol';

/**
 * Sends segment documents to the X-Ray daemon over UDP, fire-and-forget: a dead or slow daemon costs the
 * execution nothing, and what could not be sent is counted, not hidden.
 */
export class SegmentEmitter {
  private readonly socket: Socket;
  sent = 0;
  dropped = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('error', () => {
      this.dropped++;
    });
    this.socket.unref();
  }

  /**
   * Sends the segment whole when it fits in a datagram; otherwise its top-level subsegments are sent on
   * their own (`type: "subsegment"`, with trace and parent ids) as the X-Ray SDKs stream large segments.
   */
  emit(segment: SegmentDoc): void {
    const whole = encodeDatagram(segment);
    if (whole.length <= MAX_DATAGRAM_BYTES) {
      this.send(whole);
      return;
    }
    const { subsegments = [], ...bare } = segment;
    this.send(encodeDatagram(bare));
    for (const sub of subsegments) {
      const alone: SegmentDoc = {
        ...sub,
        type: 'subsegment',
        trace_id: segment.trace_id,
        parent_id: segment.id,
      };
      const datagram = encodeDatagram(alone);
      if (datagram.length <= MAX_DATAGRAM_BYTES) this.send(datagram);
      else this.dropped++;
    }
  }

  private send(datagram: Buffer): void {
    this.socket.send(datagram, this.port, this.host, (err) => {
      if (err) this.dropped++;
      else this.sent++;
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
