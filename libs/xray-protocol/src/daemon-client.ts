import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { DAEMON_HEADER, MAX_DATAGRAM_BYTES } from './datagram';

/** The most a document can weigh: the datagram carries the header line too. */
export const MAX_DATAGRAM_DOCUMENT_BYTES = MAX_DATAGRAM_BYTES - Buffer.byteLength(DAEMON_HEADER);
/** A UTF-8 byte is never fewer than a third of a UTF-16 unit: strings this short fit without measuring. */
const SURELY_FITS_LENGTH = Math.floor(MAX_DATAGRAM_DOCUMENT_BYTES / 3);

/**
 * What the client needs of a document to stream it: its id, its trace, its children. Segment documents
 * of every emitter in the project (the lean recorder's, the gateway's stage segment, the state machine's)
 * have this shape.
 */
export interface StreamableDoc {
  id: string;
  trace_id?: string;
  parent_id?: string;
  type?: 'subsegment';
  metadata?: unknown;
  subsegments?: StreamableDoc[] | undefined;
}

export type DropReason =
  /** A document without subsegments over the limit even with its metadata cut. */
  | 'too_large'
  /** The document could not be serialised (a cycle, a BigInt). */
  | 'unserialisable'
  /** The socket reported an error (no route, buffer full, closed). */
  | 'send_failed';

export interface DaemonClientCounters {
  /** Datagrams handed to the socket. */
  sent: number;
  /** Documents too large for one datagram, sent as their subsegments and themselves. */
  split: number;
  /** Documents sent with their `metadata` cut to fit (the rest of the document arrives). */
  cut: number;
  dropped: Record<DropReason, number>;
}

export type DaemonAddress = string | { host: string; port: number };

/**
 * The one client of the X-Ray daemon protocol in the project: a header line and one document per UDP
 * datagram, fire-and-forget. A send never throws and never waits; a document over the datagram limit is
 * split the way the X-Ray SDKs stream subsegments (each subsegment on its own as `type: "subsegment"`
 * with `trace_id` and `parent_id`, then the document without them); what still cannot go is counted.
 */
export class DaemonClient {
  private socket: Socket | undefined;
  private family: 'udp4' | 'udp6' = 'udp4';
  private host = '127.0.0.1';
  private port = 2000;
  readonly counters: DaemonClientCounters = {
    sent: 0,
    split: 0,
    cut: 0,
    dropped: { too_large: 0, unserialisable: 0, send_failed: 0 },
  };

  constructor(address: DaemonAddress) {
    this.setAddress(address);
  }

  /** Every datagram that did not reach the socket, for any reason. */
  get dropped(): number {
    const d = this.counters.dropped;
    return d.too_large + d.unserialisable + d.send_failed;
  }

  get sent(): number {
    return this.counters.sent;
  }

  /** The counters as a service's stats endpoint shows them: totals, and the drops by reason. */
  stats(): {
    sent: number;
    split: number;
    cut: number;
    dropped: number;
    droppedBy: Record<DropReason, number>;
  } {
    const { sent, split, cut, dropped } = this.counters;
    return { sent, split, cut, dropped: this.dropped, droppedBy: { ...dropped } };
  }

  setAddress(address: DaemonAddress): void {
    const { host, port } = typeof address === 'string' ? parseDaemonAddress(address) : address;
    const family = isIP(host) === 6 ? 'udp6' : 'udp4';
    if (this.socket && this.family !== family) {
      this.socket.close();
      this.socket = undefined;
    }
    this.host = host === 'localhost' ? '127.0.0.1' : host;
    this.port = port;
    if (!this.socket) {
      const socket = createSocket(family);
      this.family = family;
      // Unconnected, so a dead daemon costs nothing; what the socket does report is counted.
      socket.on('error', () => {
        this.counters.dropped.send_failed++;
      });
      // A tracer must never keep a process alive.
      socket.unref();
      this.socket = socket;
    }
  }

  /** Sends one document, split into several datagrams when it does not fit in one. */
  send(doc: StreamableDoc): void {
    this.sendPart(doc, doc.trace_id);
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

  private sendSplit(doc: StreamableDoc, traceId: string | undefined): void {
    const { subsegments, ...bare } = doc;
    if (subsegments && subsegments.length > 0) {
      this.counters.split++;
      for (const sub of subsegments) {
        const alone = { ...sub, type: 'subsegment' as const, trace_id: traceId, parent_id: doc.id };
        this.sendPart(alone, traceId);
      }
    }
    this.sendPart(bare, traceId);
  }

  /** One datagram when the document fits; else its subsegments stream on their own, recursively. */
  private sendPart(doc: StreamableDoc, traceId: string | undefined): void {
    let json: string;
    try {
      json = JSON.stringify(doc);
    } catch {
      this.counters.dropped.unserialisable++;
      return;
    }
    if (fits(json)) {
      this.sendJson(json);
      return;
    }
    if (doc.subsegments && doc.subsegments.length > 0) {
      this.sendSplit(doc, traceId);
      return;
    }
    // A leaf over the limit: its metadata is the free-form part, cut that and keep the timed span.
    if (doc.metadata !== undefined) {
      const { metadata: _cut, ...withoutMetadata } = doc;
      const smaller = JSON.stringify(withoutMetadata);
      if (fits(smaller)) {
        this.counters.cut++;
        this.sendJson(smaller);
        return;
      }
    }
    this.counters.dropped.too_large++;
  }

  private sendJson(json: string): void {
    const socket = this.socket;
    if (!socket) {
      this.counters.dropped.send_failed++;
      return;
    }
    try {
      // No callback: a failure surfaces as the socket's 'error' event (counted in setAddress).
      socket.send(DAEMON_HEADER + json, this.port, this.host);
      this.counters.sent++;
    } catch {
      this.counters.dropped.send_failed++;
    }
  }
}

function fits(json: string): boolean {
  return json.length <= SURELY_FITS_LENGTH || Buffer.byteLength(json) <= MAX_DATAGRAM_DOCUMENT_BYTES;
}

/** `host:port` or `[v6]:port`, as in `AWS_XRAY_DAEMON_ADDRESS`. */
export function parseDaemonAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address.trim());
  const port = Number(match?.[2]);
  if (!match?.[1] || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid daemon address ${address}`);
  }
  return { host: match[1], port };
}
