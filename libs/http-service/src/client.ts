import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * How long a pooled connection may sit idle before the pool closes it. Below Node's default server
 * keep-alive (5 s), so the pool leaves first even when a server announces nothing. Node's agent also
 * honours a server's `Keep-Alive: timeout=N` (minus 1 s), but only when the pool has a timeout of its own:
 * without one an idle socket is kept until the server closes it, and a request sent in the instant between
 * that close and its FIN being read is lost ("socket hang up").
 */
export const POOL_IDLE_TIMEOUT_MS = 4_000;

/** Keep-alive connection pools for one caller (as a VPC link or a service integration keeps its own). */
export interface ConnectionPool {
  http: HttpAgent;
  https: HttpsAgent;
}

export function createConnectionPool(maxSockets = 256): ConnectionPool {
  const options = { keepAlive: true, maxSockets, timeout: POOL_IDLE_TIMEOUT_MS };
  return { http: new HttpAgent(options), https: new HttpsAgent(options) };
}

export function closeConnectionPool(pool: ConnectionPool): void {
  pool.http.destroy();
  pool.https.destroy();
}

/** Methods that may be sent again when the first attempt provably never reached the server. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export interface PooledExchange {
  url: URL;
  method: string;
  headers: OutgoingHttpHeaders;
  body?: Buffer | string;
  signal?: AbortSignal;
}

export interface ExchangeHandlers {
  /** Every attempt's request, as it is made (so a caller's timeout can destroy the current one). */
  onRequest?(request: ClientRequest): void;
  onResponse(response: IncomingMessage, request: ClientRequest): void;
  /** The exchange failed: a connect error, a reset, an abort. Not called for the one stale-socket retry. */
  onError(error: NodeJS.ErrnoException): void;
}

/**
 * One HTTP exchange over `pool`. A pooled connection the server closed while it sat idle fails with
 * ECONNRESET before any answer: the request never reached the server, so an idempotent one is sent once
 * more, on a fresh connection of its own. Not back to the pool: the next idle socket there has been idle
 * about as long and may be just as dead, which is how one retry still ended in a 502 under load.
 */
export function sendPooled(exchange: PooledExchange, pool: ConnectionPool, handlers: ExchangeHandlers): void {
  const https = exchange.url.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  const attempt = (fromPool: boolean) => {
    let answered = false;
    const request = send(
      exchange.url,
      {
        method: exchange.method,
        headers: exchange.headers,
        agent: fromPool ? (https ? pool.https : pool.http) : false,
        ...(exchange.signal ? { signal: exchange.signal } : {}),
      },
      (response) => {
        answered = true;
        handlers.onResponse(response, request);
      },
    );
    handlers.onRequest?.(request);
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (
        fromPool &&
        !answered &&
        isStaleConnection(request, error) &&
        IDEMPOTENT_METHODS.has(exchange.method)
      ) {
        attempt(false);
        return;
      }
      handlers.onError(error);
    });
    request.end(exchange.body !== undefined && exchange.body.length > 0 ? exchange.body : undefined);
  };
  attempt(true);
}

/** The server closed a reused keep-alive connection before answering (the pattern Node's docs give). */
function isStaleConnection(request: ClientRequest, error: NodeJS.ErrnoException): boolean {
  return request.reusedSocket && error.code === 'ECONNRESET';
}
