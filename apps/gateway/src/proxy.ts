import {
  type ClientRequest,
  Agent as HttpAgent,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  request,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

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
  | { kind: 'unavailable'; error: Error }
  /** The target broke the exchange (reset, bad response): the ALB's 502. */
  | { kind: 'bad_gateway'; error: Error }
  | { kind: 'too_large' };

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Keep-alive connection pools, one pair per gateway instance (as a VPC link keeps its connections). */
export interface IntegrationAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

export function createIntegrationAgents(): IntegrationAgents {
  return {
    http: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
  };
}

/**
 * The HTTP proxy integration: one buffered request, one buffered response, the whole exchange bounded by
 * the integration timeout (API Gateway does not stream REST API responses either).
 */
export function callIntegration(
  req: IntegrationRequest,
  agents: IntegrationAgents,
): Promise<IntegrationResult> {
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
    const https = req.url.protocol === 'https:';
    const send = https ? httpsRequest : request;

    const attempt = (mayRetry: boolean) => {
      const outgoing = send(
        req.url,
        { method: req.method, headers: req.headers, agent: https ? agents.https : agents.http },
        (response) => {
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
      );
      current = outgoing;
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        // A pooled keep-alive socket the target closed while idle: the request never reached it, so an
        // idempotent one is sent again on a fresh connection (the pattern Node's documentation gives).
        if (mayRetry && outgoing.reusedSocket && error.code === 'ECONNRESET') {
          attempt(false);
          return;
        }
        finish(
          CONNECT_ERRORS.has(error.code ?? '')
            ? { kind: 'unavailable', error }
            : { kind: 'bad_gateway', error },
        );
      });
      outgoing.end(req.body.length ? req.body : undefined);
    };
    attempt(IDEMPOTENT.has(req.method));
  });
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export function closeIntegrationAgents(agents: IntegrationAgents): void {
  agents.http.destroy();
  agents.https.destroy();
}
