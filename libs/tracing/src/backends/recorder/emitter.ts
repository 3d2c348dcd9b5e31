import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';

const HEADER = '{"format":"json","version":1}\n';
/** What fits in one datagram; a larger document is streamed in parts by the recorder before it gets here. */
export const MAX_DOCUMENT_BYTES = 64 * 1024 - HEADER.length;

/**
 * Fire-and-forget UDP to the daemon: one `JSON.stringify` and one `send` per document, no callback per
 * datagram unless it fails. Nothing listening costs nothing (an unconnected socket never sees the ICMP
 * answer); a failed send is counted, never thrown at the request.
 */
export class DaemonEmitter {
  private socket: Socket | undefined;
  private host = '127.0.0.1';
  private port = 2000;
  sent = 0;
  failed = 0;
  tooLarge = 0;

  constructor(address: string) {
    this.setAddress(address);
  }

  setAddress(address: string): void {
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address.trim());
    if (!match?.[1] || !match[2]) throw new Error(`invalid daemon address ${address}`);
    const host = match[1] === 'localhost' ? '127.0.0.1' : match[1];
    const family = isIP(host) === 6 ? 'udp6' : 'udp4';
    if (this.socket && (this.socket as unknown as { type?: string }).type !== family) {
      this.socket.close();
      this.socket = undefined;
    }
    this.host = host;
    this.port = Number(match[2]);
    if (!this.socket) {
      const socket = createSocket(family);
      socket.on('error', () => {
        this.failed++;
      });
      // A tracer must never keep a process alive.
      socket.unref();
      this.socket = socket;
    }
  }

  /** Sends one serialised document; false when it was too large to send (the caller streams it). */
  sendText(json: string): boolean {
    if (json.length > MAX_DOCUMENT_BYTES && Buffer.byteLength(json) > MAX_DOCUMENT_BYTES) {
      this.tooLarge++;
      return false;
    }
    // No callback: a failure surfaces as the socket's 'error' event (counted above).
    this.socket?.send(HEADER + json, this.port, this.host);
    this.sent++;
    return true;
  }
}
