import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SegmentDoc, SubsegmentDoc, UdpCollector } from '@parcel/xray-protocol';

/** What receives a backend's output in a test, as X-Ray segment documents (the daemon or an OTLP sink). */
export type SegmentCollector = Pick<UdpCollector, 'address' | 'segments' | 'waitFor' | 'clear' | 'close'>;

/** A plain HTTP server on an ephemeral loopback port that remembers the headers and body it received. */
export async function startRecordingServer(
  respond: (path: string) => { status: number; body: string } = () => ({ status: 200, body: '{}' }),
): Promise<{
  url: string;
  port: number;
  received: { path: string; headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}> {
  const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      const { status, body: out } = respond(req.url ?? '');
      res.writeHead(status, { 'content-type': 'application/json' }).end(out);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every subsegment of a document, depth first, with the id of its parent. */
export function flattenSubsegments(
  doc: SegmentDoc | SubsegmentDoc,
): { sub: SubsegmentDoc; parentId: string }[] {
  const out: { sub: SubsegmentDoc; parentId: string }[] = [];
  for (const sub of doc.subsegments ?? []) {
    out.push({ sub, parentId: doc.id });
    out.push(...flattenSubsegments(sub));
  }
  return out;
}

export function sampledHeader(root: string, parent: string, sampled = '1'): string {
  return `Root=${root};Parent=${parent};Sampled=${sampled}`;
}
