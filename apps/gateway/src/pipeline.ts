/**
 * The stage's request pipeline: admit → route → receive → authorise → validate → invoke → respond, small
 * named steps over one per-request object (`StageRequest`). Each step reads what the ones before it found
 * and says whether the request goes on; the I/O around them (the socket, lingering close, the stage
 * segment) is `gateway.ts`'s.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { ConnectionPool } from '@parcel/http-service';
import { matchRoute, type RouteDefinition, validatePathParameters } from '@parcel/routes';
import { type KeepReason, keepReason, parseKeptHeader, TRACE_KEPT_HEADER } from '@parcel/sampling-rules';
import { badRequestParameters, GATEWAY_ERRORS, type GatewayError } from './gateway-responses';
import { LIMITS } from './limits';
import { callIntegration, endToEndHeaders, type IntegrationResult } from './proxy';
import { hasSignature, verifySigV4 } from './sigv4';
import { clientTraceHeader, downstreamTraceHeader, type EdgeTrace } from './tracing/edge-trace';
import type { IntegrationCall } from './tracing/stage-segment';

/** One request at the stage: what it arrived as, and what each step found out about it. */
export interface StageRequest {
  readonly startMs: number;
  readonly requestId: string;
  readonly method: string;
  /** The request target as it arrived, its path and its query string. */
  readonly rawUrl: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  /** The path without the stage prefix (`/local/parcels/x` → `/parcels/x`). */
  readonly path: string;
  readonly host: string;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  /** Header names and values in order, as read (the header limit counts the values). */
  readonly rawHeaders: readonly string[];
  /** The connection's address. */
  readonly peer: string;
  readonly trace: EdgeTrace;
  /** On every answer: request id, `x-amz-apigw-id`, the trace header. */
  readonly responseHeaders: Record<string, string>;
  /** Set by route. */
  route?: RouteDefinition;
  params?: Record<string, string>;
  /** Set by receive. */
  body?: Buffer;
  /** Set by authorise (parsed once, no prototype). */
  query?: Record<string, string | string[]>;
  /** Set by invoke. */
  integration?: IntegrationCall;
  /** The integration's answer carried `X-Trace-Kept`. */
  downstreamKept: boolean;
  /** Keep-on-error, decided once (the first status asked about is the request's). */
  kept?: { reason: KeepReason | undefined };
}

/** What a step says: go on (undefined), answer with an error (closing the connection or not), or stop. */
export type Verdict = { error: GatewayError; close?: boolean } | 'stop' | undefined;

export interface StageRequestSource {
  method?: string;
  url?: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  socket: { remoteAddress?: string };
}

/** The per-request object, with its trace resolved (`resolveTrace` decides sampling when the caller did not). */
export function stageRequest(
  req: StageRequestSource,
  stageName: string,
  resolveTrace: (path: string, method: string, host: string) => EdgeTrace,
  startMs: number = Date.now(),
): StageRequest {
  const rawUrl = req.url ?? '/';
  const queryAt = rawUrl.indexOf('?');
  const rawPath = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
  const stagePrefix = `/${stageName}/`;
  // Step Functions calls /{stage}/{path} on the execute-api host; clients here may omit the stage.
  const path = rawPath.startsWith(stagePrefix) ? rawPath.slice(stagePrefix.length - 1) : rawPath;
  const method = req.method ?? 'GET';
  const host = headerString(req.headers.host) ?? '';
  const requestId = randomUUID();
  const trace = resolveTrace(path, method, host);
  return {
    startMs,
    requestId,
    method,
    rawUrl,
    rawPath,
    rawQuery: queryAt < 0 ? '' : rawUrl.slice(queryAt + 1),
    path,
    host,
    httpVersion: req.httpVersion,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    peer: req.socket.remoteAddress ?? '',
    trace,
    responseHeaders: {
      'x-amzn-requestid': requestId,
      'x-amz-apigw-id': randomBytes(6).toString('base64').replace(/[+/=]/g, 'A'),
      'x-amzn-trace-id': clientTraceHeader(trace),
    },
    downstreamKept: false,
  };
}

/** Admit: API Gateway's size limits, before anything is read or routed. */
export function admit(r: StageRequest): Verdict {
  if (requestLineAndHeaderValuesBytes(r) > LIMITS.maxRequestLineAndHeaderValuesBytes)
    return { error: GATEWAY_ERRORS.headersTooLarge, close: true };
  if (Number(r.headers['content-length'] ?? 0) > LIMITS.maxPayloadBytes)
    return { error: GATEWAY_ERRORS.requestTooLarge, close: true };
  return undefined;
}

/** Route: the shared route table; anything it does not know is "Missing Authentication Token". */
export function route(r: StageRequest): Verdict {
  const match = matchRoute(r.method, r.path);
  if ('error' in match) return { error: GATEWAY_ERRORS.missingAuthenticationToken };
  r.route = match.route;
  r.params = match.params;
  return undefined;
}

/** Receive: the whole body, bounded by the payload limit. */
export async function receive(r: StageRequest, req: IncomingMessage): Promise<Verdict> {
  const body = await readBody(req, LIMITS.maxPayloadBytes);
  if (body === 'too_large') return { error: GATEWAY_ERRORS.requestTooLarge, close: true };
  if (body === 'aborted') return 'stop';
  r.body = body;
  return undefined;
}

/** Authorise: routes with `AWS_IAM` take a SigV4 signature by the configured key only. */
export async function authorise(
  r: StageRequest,
  signer: { credentials: { accessKeyId: string; secretAccessKey: string }; region: string },
): Promise<Verdict> {
  r.query = parseQuery(r.rawQuery);
  if (r.route?.authorization !== 'AWS_IAM') return undefined;
  if (!hasSignature(r.headers, r.query)) return { error: GATEWAY_ERRORS.missingAuthenticationToken };
  const verified = await verifySigV4(
    {
      method: r.method,
      path: r.rawPath,
      query: r.query,
      headers: r.headers,
      body: r.body ?? Buffer.alloc(0),
    },
    signer,
  );
  return verified.ok ? undefined : { error: verified.error };
}

/** Validate: the route's request parameters (the shape of a parcel id at the edge). */
export function validate(r: StageRequest): Verdict {
  if (!r.route) return undefined;
  const problems = validatePathParameters(r.route, r.params ?? {});
  return problems.length ? { error: badRequestParameters(problems.map((p) => p.name)) } : undefined;
}

export interface Integrations {
  /** Base URL of each route target (the VPC link's). */
  targets: Record<RouteDefinition['target'], string>;
  apiId: string;
  timeoutMs: number;
  pool: ConnectionPool;
}

/** The integration request: end-to-end headers, the forwarding chain, the trace header, the API id. */
export function integrationRequest(
  r: StageRequest,
  integrations: Pick<Integrations, 'targets' | 'apiId'>,
): { url: URL; headers: OutgoingHttpHeaders } {
  const base = integrations.targets[(r.route as RouteDefinition).target];
  const url = new URL(`${base}${r.path}${r.rawQuery ? `?${r.rawQuery}` : ''}`);
  const headers: OutgoingHttpHeaders = endToEndHeaders(r.headers);
  const forwardedFor = headerString(r.headers['x-forwarded-for']);
  headers.host = url.host;
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${r.peer}` : r.peer;
  headers['x-amzn-trace-id'] = downstreamTraceHeader(r.trace);
  headers['x-amzn-apigateway-api-id'] = integrations.apiId;
  delete headers['content-length'];
  if (r.body?.length) headers['content-length'] = r.body.length;
  return { url, headers };
}

/** Invoke: the HTTP proxy integration; the call (and why it failed) is kept for the stage segment. */
export async function invoke(r: StageRequest, integrations: Integrations): Promise<IntegrationResult> {
  const { url, headers } = integrationRequest(r, integrations);
  const startMs = Date.now();
  const result = await callIntegration(
    {
      url,
      method: r.method,
      headers,
      body: r.body ?? Buffer.alloc(0),
      timeoutMs: integrations.timeoutMs,
      maxResponseBytes: LIMITS.maxPayloadBytes,
    },
    integrations.pool,
  );
  const call: IntegrationCall = { url: url.toString(), method: r.method, startMs, endMs: Date.now() };
  switch (result.kind) {
    case 'timeout':
      call.failure = {
        type: 'IntegrationTimeout',
        message: `no response within ${integrations.timeoutMs} ms`,
      };
      break;
    case 'unavailable':
    case 'bad_gateway':
      call.failure = socketFailure(result.error);
      break;
    case 'too_large':
      call.failure = { type: 'ResponseTooLarge', message: 'integration response over 10 MB' };
      break;
    case 'response':
      call.status = result.status;
      call.contentLength = result.body.length;
      r.downstreamKept = parseKeptHeader(result.headers[TRACE_KEPT_HEADER]) !== undefined;
      break;
  }
  r.integration = call;
  return result;
}

export type Answer =
  | { kind: 'error'; error: GatewayError }
  | { kind: 'proxied'; status: number; headers: Record<string, string | string[]>; body: Buffer | undefined };

/** Respond: the integration's answer passed through (end-to-end headers only), or the stage's own error. */
export function respond(r: StageRequest, result: IntegrationResult): Answer {
  switch (result.kind) {
    case 'timeout':
      return { kind: 'error', error: GATEWAY_ERRORS.integrationTimeout };
    case 'unavailable':
      return { kind: 'error', error: { status: 503, message: 'Service Unavailable' } };
    case 'bad_gateway':
      return { kind: 'error', error: { status: 502, message: 'Bad Gateway' } };
    case 'too_large':
      return { kind: 'error', error: GATEWAY_ERRORS.internalServerError };
    case 'response': {
      const upstream = endToEndHeaders(result.headers);
      delete upstream['content-length'];
      delete upstream['x-amzn-trace-id'];
      // Replaced by this stage's own answer (internal routes) or dropped (clients outside never see it).
      delete upstream[TRACE_KEPT_HEADER];
      return {
        kind: 'proxied',
        status: result.status,
        headers: upstream,
        body: r.method === 'HEAD' ? undefined : result.body,
      };
    }
  }
}

/**
 * Keep-on-error (libs/sampling-rules/src/keep.ts): an unsampled request's segment is built anyway and sent
 * only when this request failed, was slow, or sits on a failed or kept downstream path. Decided once.
 */
export function keepDecision(
  r: StageRequest,
  status: number | undefined,
  opts: { tracingOn: boolean; slowMs: number },
): KeepReason | undefined {
  if (!opts.tracingOn || r.trace.sampled) return undefined;
  r.kept ??= {
    reason: keepReason({
      status,
      durationMs: Date.now() - r.startMs,
      slowMs: opts.slowMs,
      downstreamFailed: r.integration?.failure !== undefined || (r.integration?.status ?? 0) >= 500,
      downstreamKept: r.downstreamKept,
    }),
  };
  return r.kept.reason;
}

/** Only callers inside the system (the state machine, on the IAM-authorised routes) hear why it was kept. */
export function keptHeader(
  r: StageRequest,
  status: number,
  opts: { tracingOn: boolean; slowMs: number },
): Record<string, string> {
  const reason = keepDecision(r, status, opts);
  return reason && r.route?.authorization === 'AWS_IAM' ? { [TRACE_KEPT_HEADER]: reason } : {};
}

export function socketFailure(error: NodeJS.ErrnoException): NonNullable<IntegrationCall['failure']> {
  return { type: error.name, message: error.message, ...(error.code ? { code: error.code } : {}) };
}

export function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** API Gateway's header limit counts the request line and header values (names are not counted). */
function requestLineAndHeaderValuesBytes(r: StageRequest): number {
  let total = Buffer.byteLength(`${r.method} ${r.rawUrl} HTTP/${r.httpVersion}`);
  for (let i = 1; i < r.rawHeaders.length; i += 2) total += Buffer.byteLength(r.rawHeaders[i] as string);
  return total;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const settle = (value: Buffer | 'too_large' | 'aborted') => {
      if (done) return;
      done = true;
      resolve(value);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the connection is closed after the 413.
        req.pause();
        settle('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => settle(Buffer.concat(chunks)));
    req.on('error', () => settle('aborted'));
    req.on('close', () => settle('aborted'));
  });
}

function parseQuery(raw: string): Record<string, string | string[]> {
  // No prototype: `?constructor=1` or `?__proto__=x` is a parameter like any other, not an inherited property.
  const out: Record<string, string | string[]> = Object.create(null);
  if (!raw) return out;
  for (const [key, value] of new URLSearchParams(raw)) {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  }
  return out;
}
