import type { ClientRequest, IncomingMessage } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import { currentStore } from '../context';
import { callHasTraceHeader, traceHeaderIn, withTraceHeader } from '../propagation';
import type { Span } from '../span';
import { markResponseStatus } from './response-status';

type RequestFn = (...args: unknown[]) => ClientRequest;
type Namer = (host: string, port: string | undefined) => string;

/** The host a request goes to as its Host header says (`host:port` unless the port is the default). */
export function hostOf(req: ClientRequest): { host: string; bareHost: string; port: string | undefined } {
  const hostHeader = req.getHeader('host');
  const host = typeof hostHeader === 'string' ? hostHeader : req.host;
  const colon = host.lastIndexOf(':');
  const port = colon > 0 && !host.endsWith(']') ? host.slice(colon + 1) : undefined;
  return { host, bareHost: port ? host.slice(0, colon) : host, port };
}

/** Keep-on-error signals of an outbound call's answer: a 5xx failed, `X-Trace-Kept` kept downstream. */
export function noteHttpKeepSignals(span: Span, res: IncomingMessage): void {
  if ((res.statusCode ?? 0) >= 500) span.noteDownstreamFailure();
  if (res.headers['x-trace-kept']) span.noteDownstreamKept();
}

/**
 * `remote` subsegment of an outbound call: URL with its port when not the default (query left out, it may
 * carry data), method, status, content length, `traced`; a network error or timeout is a fault with its
 * cause, a 4xx an error, a 429 a throttle, a 5xx a fault. A 5xx or a failed call is a failure on the
 * request's path; `X-Trace-Kept` on the answer says the callee kept its segment.
 */
function capture(req: ClientRequest, sub: Span, secure: boolean, name: Namer): void {
  const { host, bareHost, port } = hostOf(req);
  sub.setName(name(bareHost, port));
  const path = req.path;
  const q = path.indexOf('?');
  sub.setHttp({
    request: {
      url: `${secure ? 'https' : 'http'}://${host}${q < 0 ? path : path.slice(0, q)}`,
      method: req.method,
    },
  });
  let done = false;
  const finish = (err?: Error) => {
    if (done) return;
    done = true;
    if (err) {
      sub.noteDownstreamFailure();
      sub.recordException(err);
    }
    sub.end();
  };
  req.once('response', (res: IncomingMessage) => {
    const status = res.statusCode ?? 0;
    const response: { status: number; content_length?: number } = { status };
    const length = res.headers['content-length'];
    if (length !== undefined) response.content_length = Number(length);
    sub.setHttp({ response, traced: true });
    markResponseStatus(sub, status);
    noteHttpKeepSignals(sub, res);
    res.once('end', () => finish());
    res.once('close', () => finish());
  });
  req.on('error', (err) => {
    finish(err);
    // We must not be the listener that swallows an error nobody else handles.
    if (req.listenerCount('error') === 1) throw err;
  });
  req.once('close', () => {
    // Closed without a response (aborted): a failed call.
    if (!done && !(req as { res?: unknown }).res) finish(new Error('request closed before a response'));
  });
}

function wrap(mod: typeof http | typeof https, secure: boolean, name: Namer): void {
  const target = mod as unknown as Record<string, RequestFn> & { __parcelCapture?: boolean };
  if (target.__parcelCapture) return;
  const original = target.request as RequestFn;
  const request: RequestFn = (...args) => {
    const store = currentStore();
    const parent = store?.span;
    // A call that already carries a trace header is traced by whoever wrote it (the AWS SDK middleware's
    // `aws` subsegment, or explicit code): not a second subsegment.
    if (!store || parent?.id === undefined || callHasTraceHeader(args)) return original(...args);
    const sub = parent.startChild('remote', 'remote');
    const header = traceHeaderIn(store, sub.id ?? parent.id);
    let req: ClientRequest;
    try {
      req = original(...withTraceHeader(args, header));
    } catch (err) {
      sub.recordException(err);
      sub.end();
      throw err;
    }
    capture(req, sub, secure, name);
    return req;
  };
  const get: RequestFn = (...args) => {
    const req = request(...args);
    req.end();
    return req;
  };
  for (const [key, value] of [
    ['request', request],
    ['get', get],
  ] as const) {
    Object.defineProperty(target, key, { value, configurable: true, enumerable: true, writable: true });
  }
  target.__parcelCapture = true;
}

/** Captures every outbound call through `http`/`https` (ESM named imports included, see propagation). */
export function captureHttpGlobal(name: Namer): void {
  wrap(http, false, name);
  wrap(https, true, name);
}
