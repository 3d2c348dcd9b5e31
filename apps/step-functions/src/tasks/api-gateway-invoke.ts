import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { type ConnectionPool, sendPooled } from '@parcel/http-service';
import { parseKeptHeader, TRACE_KEPT_HEADER } from '@parcel/sampling-rules';
import { SignatureV4 } from '@smithy/signature-v4';
import type { TaskHandler } from '../engine/interpreter';
import { runtimeError, StatesError } from '../engine/states-error';

export interface ApiGatewayInvokeOptions {
  /** http: or https: — the scheme used to reach `ApiEndpoint` (AWS: always https). */
  protocol: 'http:' | 'https:';
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The integration's own keep-alive pool (the caller closes it). */
  pool: ConnectionPool;
}

interface InvokeParameters {
  ApiEndpoint: string;
  Method: string;
  Stage?: string;
  Path?: string;
  Headers?: Record<string, string[]>;
  QueryParameters?: Record<string, string[]>;
  RequestBody?: unknown;
  AuthType?: 'NO_AUTH' | 'IAM_ROLE' | 'RESOURCE_POLICY';
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);
// Headers the integration refuses (Step Functions developer guide, "Call API Gateway with Step Functions").
const FORBIDDEN_HEADER =
  /^(x-forwarded.*|x-amz.*|authorization|connection|content-md5|expect|host|max-forwards|proxy-authenticate|server|te|transfer-encoding|trailer|upgrade|via|www-authenticate)$/i;

function checkParameters(p: unknown): InvokeParameters {
  if (p === null || typeof p !== 'object') throw runtimeError('apigateway:invoke needs Parameters');
  const params = p as InvokeParameters;
  if (typeof params.ApiEndpoint !== 'string' || params.ApiEndpoint === '') {
    throw runtimeError('apigateway:invoke: ApiEndpoint is required');
  }
  if (typeof params.Method !== 'string' || !METHODS.has(params.Method)) {
    throw runtimeError(`apigateway:invoke: Method must be one of ${[...METHODS].join(', ')}`);
  }
  for (const name of Object.keys(params.Headers ?? {})) {
    if (FORBIDDEN_HEADER.test(name)) throw runtimeError(`apigateway:invoke: header ${name} is not permitted`);
  }
  return params;
}

function pathOf(params: InvokeParameters): string {
  const parts = [params.Stage, params.Path].filter((s): s is string => typeof s === 'string' && s !== '');
  return `/${parts.map((s) => s.replace(/^\/+|\/+$/g, '')).join('/')}`;
}

/**
 * `arn:aws:states:::apigateway:invoke` (request-response): calls `{ApiEndpoint}/{Stage}/{Path}`, SigV4-signed
 * for `execute-api` when AuthType is IAM_ROLE, carrying the trace header. Output is
 * `{ResponseBody, Headers, StatusCode, StatusText}`; a non-2xx answer fails the task with
 * `ApiGateway.<status>` and the body as cause, as the real integration does. The call is a `remote`
 * subsegment of the Task state whose id is the `Parent` the gateway receives.
 */
export function apiGatewayInvoke(opts: ApiGatewayInvokeOptions): TaskHandler {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: opts.region,
    credentials: opts.credentials,
    sha256: Sha256,
  });
  return async ({ parameters, span, traceHeaderFor, signal }) => {
    const params = checkParameters(parameters);
    const url = new URL(`${opts.protocol}//${params.ApiEndpoint}${pathOf(params)}`);
    const query: Record<string, string[]> = {};
    for (const [k, values] of Object.entries(params.QueryParameters ?? {})) {
      query[k] = values.map(String);
      for (const v of values) url.searchParams.append(k, String(v));
    }
    let body: string | undefined;
    const headers: Record<string, string> = { host: url.host };
    for (const [k, values] of Object.entries(params.Headers ?? {}))
      headers[k.toLowerCase()] = values.join(',');
    if (params.RequestBody !== undefined && params.Method !== 'GET' && params.Method !== 'HEAD') {
      body = typeof params.RequestBody === 'string' ? params.RequestBody : JSON.stringify(params.RequestBody);
      headers['content-type'] ??= 'application/json';
    }

    const call = span.child(params.ApiEndpoint);
    call.namespace = 'remote';
    call.http = { request: { method: params.Method, url: url.toString(), traced: true } };
    const traceHeader = traceHeaderFor(call);

    let signed = headers;
    if (params.AuthType === 'IAM_ROLE') {
      const request = await signer.sign({
        method: params.Method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query: Object.keys(query).length > 0 ? query : undefined,
        headers,
        body,
      });
      signed = request.headers;
    }
    if (traceHeader) signed = { ...signed, 'x-amzn-trace-id': traceHeader };

    let res: { status: number; statusText: string; headers: IncomingMessage['headers']; text: string };
    try {
      res = await send(url, params.Method, signed, body, signal, opts.pool);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      call.fail('fault', (err as { code?: string }).code ?? 'NetworkError', message, true);
      call.close();
      if (signal.aborted) throw signal.reason;
      // No HTTP status to name the error after: the generic task failure.
      throw new StatesError('States.TaskFailed', `apigateway:invoke ${url.toString()}: ${message}`);
    }
    call.http.response = { status: res.status, content_length: Buffer.byteLength(res.text) };
    if (parseKeptHeader(res.headers[TRACE_KEPT_HEADER]) !== undefined) call.downstreamKept = true;
    if (res.status >= 400) {
      const kind = res.status === 429 ? 'throttle' : res.status < 500 ? 'error' : 'fault';
      call.fail(kind, `HTTP ${res.status}`, res.text.slice(0, 500), true);
    }
    call.close();
    if (res.status < 200 || res.status > 299) throw new StatesError(`ApiGateway.${res.status}`, res.text);

    const outHeaders: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v !== undefined) outHeaders[k] = Array.isArray(v) ? v : [v];
    }
    return {
      ResponseBody: parseBody(res.text, res.headers['content-type']),
      Headers: outHeaders,
      StatusCode: res.status,
      StatusText: res.statusText,
    };
  };
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (contentType?.includes('json') && text !== '') {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
  pool: ConnectionPool,
): Promise<{ status: number; statusText: string; headers: IncomingMessage['headers']; text: string }> {
  return new Promise((resolve, reject) => {
    sendPooled({ url, method, headers, body, signal }, pool, {
      onResponse: (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
      onError: reject,
    });
  });
}
