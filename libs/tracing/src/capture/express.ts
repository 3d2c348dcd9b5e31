import { TRACE_KEPT_HEADER, UPSTREAM_DECISION } from '@parcel/sampling-rules';
import { newTraceId, parseTraceHeader } from '@parcel/xray-protocol';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { NOOP_SPAN } from '../backends/off';
import { type TraceContext, traceStorage } from '../context';
import { TRACE_HEADER_NAME } from '../propagation';
import type { RequestFields, Span } from '../span';
import { keepStatsFor } from '../stats';
import { activeTracing } from '../tracing';
import { markResponseStatus } from './response-status';

function clientIp(req: Request): { ip?: string; forwarded: boolean } {
  const xff = req.headers['x-forwarded-for'];
  const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
  if (first) return { ip: first.slice(0, 64), forwarded: true };
  return { ip: req.socket.remoteAddress, forwarded: false };
}

/** Marks a finished server span from its response status: 4xx error, 429 throttle, 5xx fault. */
export function recordResponseStatus(span: Span, status: number, contentLength?: number): void {
  span.setHttp({
    response: { status, ...(contentLength !== undefined ? { content_length: contentLength } : {}) },
  });
  markResponseStatus(span, status);
}

function requestFields(req: Request): RequestFields {
  const ip = clientIp(req);
  return {
    method: req.method,
    url: `${req.protocol}://${req.headers.host ?? 'localhost'}${req.originalUrl ?? req.url}`.slice(0, 2000),
    ...(typeof req.headers['user-agent'] === 'string' ? { userAgent: req.headers['user-agent'] } : {}),
    ...(ip.ip ? { clientIp: ip.ip } : {}),
    xForwardedFor: ip.forwarded,
  };
}

/** Response header by which a service tells its caller that it kept its segment of an unsampled trace. */
export { TRACE_KEPT_HEADER };

/**
 * Opens one segment per request named after the service. The edge decides sampling: `Sampled=0|1` is
 * obeyed as sent; only a missing header or `Sampled=?` is decided here. A malformed header starts a new
 * trace. The trace header (Root, Sampled) is returned on the response.
 *
 * An unsampled request is still recorded, in memory (when the provider does that): if it ends in a 5xx,
 * runs slow, or a call under it failed or was kept downstream, its segment is sent after all and the
 * response says so in `X-Trace-Kept`, so the caller keeps its own segment too.
 */
export function traceRequests(serviceName: string): RequestHandler {
  return (req, res, next) => {
    const tracing = activeTracing();
    const provider = tracing.provider;
    const incoming = parseTraceHeader(req.headers['x-amzn-trace-id']);
    let sampled: boolean;
    let rule: string = UPSTREAM_DECISION;
    if (incoming?.sampled === '1') sampled = true;
    else if (incoming?.sampled === '0') sampled = false;
    else {
      const decision = provider.decideSampling({
        serviceName,
        host: req.headers.host,
        method: req.method,
        path: (req.originalUrl ?? req.url).split('?')[0] ?? '/',
      });
      sampled = decision !== false;
      rule = typeof decision === 'string' ? decision : 'local';
    }
    const traceId = incoming?.root ?? newTraceId();
    let span: Span = NOOP_SPAN;
    if (sampled || provider.recordsUnsampled) {
      span = provider.startServerSpan({
        name: serviceName,
        traceId,
        ...(incoming?.parent ? { parentId: incoming.parent } : {}),
        sampled,
        rule,
        ...(tracing.serviceVersion ? { serviceVersion: tracing.serviceVersion } : {}),
        request: () => requestFields(req),
        exchange: { req, res },
      });
    } else if (provider.keepsStats) {
      keepStatsFor(serviceName).unsampled(undefined);
    }
    const trace: TraceContext = { traceId, sampled, extra: incoming?.extra ?? [], segment: span };
    if (incoming?.parent) trace.incomingParentId = incoming.parent;
    res.setHeader(TRACE_HEADER_NAME, `Root=${traceId};Sampled=${sampled ? '1' : '0'}`);
    if (span !== NOOP_SPAN) {
      // The segment ends when the response is handed over (res.end), not when 'close' fires a tick or more
      // later: the caller's own span must never end before ours does.
      let endTime: number | undefined;
      const handOver = res.end;
      res.end = function (this: typeof res, ...args: unknown[]) {
        if (endTime === undefined) {
          endTime = Date.now() / 1000;
          if (span.announceKeep && !res.headersSent) {
            const reason = span.announceKeep(res.statusCode);
            if (reason) res.setHeader(TRACE_KEPT_HEADER, reason);
          }
        }
        return (handOver as (...a: unknown[]) => typeof res).apply(this, args);
      } as typeof res.end;
      res.once('close', () => {
        const length = Number(res.getHeader('content-length'));
        recordResponseStatus(span, res.statusCode, Number.isFinite(length) ? length : undefined);
        span.end(undefined, endTime);
      });
    }
    logAccess(tracing.logger, req, res, traceId);
    traceStorage.run({ trace, span }, () => span.activate(next));
  };
}

/**
 * One access-log line per request, carrying its `trace_id` like every line written during the request,
 * so the console shows each trace's log lines from every service. At `LOG_LEVEL=warn` and above it costs
 * one level check.
 */
function logAccess(logger: Logger, req: Request, res: Response, traceId: string): void {
  if (!logger.isLevelEnabled('info')) return;
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    logger.info(
      {
        trace_id: traceId,
        method: req.method,
        path: (req.originalUrl ?? req.url).split('?')[0]?.slice(0, 200),
        status: res.statusCode,
        duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
      },
      'request',
    );
  });
}

/**
 * The default answer to an error that escaped a route: a 4xx the framework attached (Express's own
 * `status`, e.g. 400 for a path parameter that is not valid percent-encoding, `%c0%ae`) is the client's
 * mistake and answered as such, without echoing the input; anything else is a 500.
 */
export function defaultErrorAnswer(err: unknown): { status: number; body: unknown } {
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: { code: 'bad_request', message: 'the request is malformed' } } };
  }
  return { status: 500, body: { error: { code: 'internal_error', message: 'internal error' } } };
}

/**
 * Records an exception that escaped a route as the segment's cause, then answers with a JSON body
 * (unless headers were already sent): see `defaultErrorAnswer`. Install after the routes.
 */
export function traceErrors(
  respond: (err: unknown) => { status: number; body: unknown } = defaultErrorAnswer,
): ErrorRequestHandler {
  return (err, _req, res, next) => {
    const store = traceStorage.getStore();
    const { status, body } = respond(err);
    store?.span.recordException(err, { asError: status < 500 });
    if (status < 500) activeTracing().logger.warn({ err: String(err) }, 'malformed request');
    else activeTracing().logger.error({ err }, 'unhandled error in request');
    if (res.headersSent) {
      next(err);
      return;
    }
    res.status(status).json(body);
  };
}
