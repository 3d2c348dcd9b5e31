import type { IncomingMessage, RequestListener } from 'node:http';
import { createServer } from 'node:http';
import type { ServerTimeouts } from '@parcel/config';
import { bind, reachableHost } from './bind';

export interface ListeningService {
  /** Where to reach it: a wildcard bind is reached on loopback. */
  url: string;
  port: number;
  /** The timeouts the server runs with, read back from it. */
  timeouts: ServerTimeouts;
  /** Stops accepting, closes idle keep-alive connections, resolves once in-flight requests are done. */
  close(): Promise<void>;
}

/**
 * Serves `app` (an Express app or any request listener) on `host:port`; port 0 picks a free one.
 * `timeouts` come from the environment contract (`serverTimeoutsBehind` the load balancer's idle timeout).
 */
export async function listen(
  app: RequestListener,
  port: number,
  host: string,
  timeouts: ServerTimeouts,
): Promise<ListeningService> {
  const server = createServer(
    { keepAliveTimeout: timeouts.keepAliveTimeoutMs, headersTimeout: timeouts.headersTimeoutMs },
    app,
  );
  const bound = await bind(server, port, host);
  return {
    url: `http://${reachableHost(host)}:${bound}`,
    port: bound,
    timeouts: { keepAliveTimeoutMs: server.keepAliveTimeout, headersTimeoutMs: server.headersTimeout },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/**
 * Reads a request body of at most `limit` bytes; `undefined` when it is larger (the rest is read and
 * dropped, so the connection stays usable for the answer).
 */
export function readBodyUpTo(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
