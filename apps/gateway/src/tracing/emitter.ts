import { createSocket, type Socket } from 'node:dgram';
import { encodeDatagram, MAX_DATAGRAM_BYTES, type SegmentDoc } from '@parcel/xray-protocol';

/**
 * Sends segment documents to the daemon over UDP, fire-and-forget: a send never throws, never awaits,
 * and never delays a response. What cannot be sent is counted, not hidden.
 */
export class SegmentEmitter {
  private socket: Socket | undefined;
  sent = 0;
  dropped = 0;

  constructor(private readonly daemon: { host: string; port: number }) {}

  send(segment: SegmentDoc): void {
    try {
      const datagram = encodeDatagram(segment);
      if (datagram.length > MAX_DATAGRAM_BYTES) {
        this.dropped++;
        return;
      }
      const socket = this.open();
      socket.send(datagram, this.daemon.port, this.daemon.host, (error) => {
        if (error) this.dropped++;
        else this.sent++;
      });
    } catch {
      this.dropped++;
    }
  }

  private open(): Socket {
    if (!this.socket) {
      const socket = createSocket(this.daemon.host.includes(':') ? 'udp6' : 'udp4');
      // A dead daemon shows up as ICMP errors on the socket: count them, never crash on them.
      socket.on('error', () => {
        this.dropped++;
      });
      socket.unref();
      this.socket = socket;
    }
    return this.socket;
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
