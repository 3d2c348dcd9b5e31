import type { ClientRequest, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { type ConnectionPool, sendPooled } from '@parcel/http-service';

/** Headers that describe one connection, never the message (RFC 9110 §7.6.1), plus a few proxies drop. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
]);

/** Copies headers minus hop-by-hop ones, including any the `Connection` header names. */
export function endToEndHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

export interface IntegrationRequest {
  url: URL;
  method: string;
  headers: OutgoingHttpHeaders;
  body: Buffer;
  timeoutMs: number;
  maxResponseBytes: number;
}

export type IntegrationResult =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; body: Buffer }
  | { kind: 'timeout' }
  /** Nothing accepted the connection: in AWS the ALB behind the VPC link answers 503 (no healthy target). */
  | { kind: 'unavailable'; error: NodeJS.ErrnoException }
  /** The target broke the exchange (reset, bad response): the ALB's 502. */
  | { kind: 'bad_gateway'; error: NodeJS.ErrnoException }
  | { kind: 'too_large' };

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * The HTTP proxy integration: one buffered request, one buffered response, the whole exchange bounded by
 * the integration timeout (API Gateway does not stream REST API responses either). `pool` is the gateway's
 * own keep-alive pool, as a VPC link keeps its connections.
 */
export function callIntegration(req: IntegrationRequest, pool: ConnectionPool): Promise<IntegrationResult> {
  return new Promise((resolve) => {
    let settled = false;
    let current: ClientRequest | undefined;
    const finish = (result: IntegrationResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      finish({ kind: 'timeout' });
      current?.destroy();
    }, req.timeoutMs);

    sendPooled({ url: req.url, method: req.method, headers: req.headers, body: req.body }, pool, {
      onRequest: (outgoing) => {
        current = outgoing;
      },
      onResponse: (response, outgoing) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > req.maxResponseBytes) {
            outgoing.destroy();
            finish({ kind: 'too_large' });
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          finish({
            kind: 'response',
            status: response.statusCode ?? 502,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', (error) => finish({ kind: 'bad_gateway', error }));
        response.on('aborted', () => finish({ kind: 'bad_gateway', error: new Error('response aborted') }));
      },
      onError: (error) =>
        finish(
          CONNECT_ERRORS.has(error.code ?? '')
            ? { kind: 'unavailable', error }
            : { kind: 'bad_gateway', error },
        ),
    });
  });
}
