import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { GatewayConfig } from '@parcel/config';
import { closeConnectionPool, createConnectionPool } from '@parcel/http-service';
import { matchRoute, type RouteDefinition, validatePathParameters } from '@parcel/routes';
import {
  type KeepReason,
  KeepStats,
  keepReason,
  parseKeptHeader,
  TRACE_KEPT_HEADER,
} from '@parcel/sampling-rules';
import { DaemonClient } from '@parcel/xray-protocol';
import type { Logger } from 'pino';
import {
  badRequestParameters,
  GATEWAY_ERRORS,
  type GatewayError,
  rawGatewayError,
  sendGatewayError,
} from './gateway-responses';
import { LIMITS } from './limits';
import { callIntegration, endToEndHeaders } from './proxy';
import { CentralSampler, type SamplingDecision } from './sampling/sampler';
import { hasSignature, verifySigV4 } from './sigv4';
import { clientTraceHeader, downstreamTraceHeader, resolveEdgeTrace } from './tracing/edge-trace';
import {
  buildStageSegment,
  type IntegrationCall,
  STAGE_ORIGIN,
  type StageIdentity,
  stageServiceName,
} from './tracing/stage-segment';

export interface GatewayOptions {
  logger?: Logger;
  /**
   * Base URL of the daemon's TCP proxy for sampling rules; defaults to `http://{AWS_XRAY_DAEMON_ADDRESS}`
   * (the daemon serves UDP and TCP on the same address). `null` = local Default rule only.
   */
  samplingEndpoint?: string | null;
  samplingTargetsIntervalMs?: number;
  /** How often the sampling/keep counters are logged (default 60 s; 0 = never). */
  statsLogIntervalMs?: number;
  /** Address to bind; the stand-in listens on loopback unless told otherwise. */
  host?: string;
}

export interface RunningGateway {
  url: string;
  port: number;
  sampler: CentralSampler;
  emitter: DaemonClient;
  /** What was head-sampled (by rule), kept on error/latency/downstream, or discarded. */
  stats: KeepStats;
  close(): Promise<void>;
}

const HEALTH_PATHS = new Set(['/health', '/__gateway/health']);
const STATS_PATH = '/__gateway/stats';
/** How long an unread request body is still read (and discarded) after an early answer. */
const BODY_LINGER_MS = 2_000;

export async function startGateway(
  config: GatewayConfig,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const log = options.logger;
  const stage: StageIdentity = {
    apiId: config.apiId,
    stageName: config.stageName,
    accountId: config.accountId,
    region: config.region,
  };
  const tracingOn = config.tracingBackend !== 'off';
  const daemon = config.daemonAddress;
  const samplingEndpoint =
    options.samplingEndpoint === undefined
      ? `http://${daemon.host.includes(':') ? `[${daemon.host}]` : daemon.host}:${daemon.port}`
      : (options.samplingEndpoint ?? undefined);
  const sampler = new CentralSampler({
    ...(tracingOn && samplingEndpoint ? { endpoint: samplingEndpoint } : {}),
    ...(options.samplingTargetsIntervalMs ? { targetsIntervalMs: options.samplingTargetsIntervalMs } : {}),
    onError: (what, error) =>
      log?.debug({ err: error, what }, 'sampling rules unavailable; local Default applies'),
  });
  const emitter = new DaemonClient(daemon);
  const stats = new KeepStats();
  const statsSnapshot = () => ({
    ...stats.snapshot(),
    segments: emitter.stats(),
    sampling: sampler.source,
  });
  const pool = createConnectionPool();
  const targets: Record<RouteDefinition['target'], string> = {
    'parcel-api': config.parcelApiUrl,
    'warehouse-query': config.warehouseQueryUrl,
  };
  const stagePrefix = `/${config.stageName}/`;
  const trustedForwarders = new Set(
    (config.trustedForwarders ?? '')
      .split(',')
      .map((a) => normalizeAddress(a.trim()))
      .filter((a) => a !== ''),
  );

  const server = createServer(
    { maxHeaderSize: LIMITS.nodeMaxHeaderSize, keepAliveTimeout: 5_000 },
    (req, res) => {
      handle(req, res).catch((error) => {
        // Nothing below should throw; if something does, answer like API Gateway and keep serving.
        log?.error({ err: error }, 'gateway handler failed');
        if (!res.headersSent) sendGatewayError(res, GATEWAY_ERRORS.internalServerError, {});
        else res.destroy();
      });
    },
  );

  // The parser refused the request (oversize headers, malformed HTTP): answer cleanly, never just reset.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const oversize = error.code === 'HPE_HEADER_OVERFLOW';
    const response = oversize
      ? rawGatewayError(GATEWAY_ERRORS.headersTooLarge, 'Request Header Fields Too Large')
      : rawGatewayError({ status: 400, message: 'Bad Request' }, 'Bad Request');
    socket.end(response);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startMs = Date.now();
    // The stage segment ends when the response is handed over (res.end), not when 'finish' fires later:
    // the caller's span (the state machine's task) must never end before the stage segment does.
    let handedOverMs: number | undefined;
    const handOver = res.end;
    res.end = function (this: typeof res, ...args: unknown[]) {
      handedOverMs ??= Date.now();
      return (handOver as (...a: unknown[]) => typeof res).apply(this, args);
    } as typeof res.end;
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const rawQuery = queryAt < 0 ? '' : rawUrl.slice(queryAt + 1);

    if (req.method === 'GET' && HEALTH_PATHS.has(rawPath)) {
      const body = JSON.stringify({ status: 'ok' });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (req.method === 'GET' && rawPath === STATS_PATH) {
      const body = JSON.stringify(statsSnapshot());
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }

    // Step Functions calls /{stage}/{path} on the execute-api host; clients here may omit the stage.
    const path = rawPath.startsWith(stagePrefix) ? rawPath.slice(stagePrefix.length - 1) : rawPath;
    const method = req.method ?? 'GET';
    const host = headerString(req.headers.host) ?? '';
    const requestId = randomUUID();

    const decide = (): SamplingDecision =>
      tracingOn
        ? sampler.decide({
            serviceName: stageServiceName(stage),
            serviceType: STAGE_ORIGIN,
            host,
            httpMethod: method,
            urlPath: path,
          })
        : { sampled: false, ruleName: 'off' };
    const trace = resolveEdgeTrace(req.headers['x-amzn-trace-id'], decide, startMs);

    const responseHeaders: Record<string, string> = {
      'x-amzn-requestid': requestId,
      'x-amz-apigw-id': randomBytes(6).toString('base64').replace(/[+/=]/g, 'A'),
      'x-amzn-trace-id': clientTraceHeader(trace),
    };
    const forwardedFor = headerString(req.headers['x-forwarded-for']);
    const peer = req.socket.remoteAddress ?? '';
    let integration: IntegrationCall | undefined;
    // Keep-on-error (libs/sampling-rules/src/keep.ts): an unsampled request's segments are built anyway and
    // sent only when this request failed, was slow, or sits on a failed or kept downstream path.
    let downstreamKept = false;
    let kept: { reason: KeepReason | undefined } | undefined;
    const decideKeep = (status: number | undefined): KeepReason | undefined => {
      if (!tracingOn || trace.sampled) return undefined;
      kept ??= {
        reason: keepReason({
          status,
          durationMs: Date.now() - startMs,
          slowMs: config.traceKeepSlowMs,
          downstreamFailed: integration?.failure !== undefined || (integration?.status ?? 0) >= 500,
          downstreamKept,
        }),
      };
      return kept.reason;
    };
    // Only callers inside the system (the state machine, on the IAM-authorised routes) hear why it was kept.
    let internalCaller = false;

    res.on('finish', () => {
      const status = res.statusCode;
      const line = { requestId, traceId: trace.traceId, method, path: clip(rawPath), status };
      if (status >= 500) {
        // What the stage segment's cause says, in the log too: why, and which target.
        const reason = integration?.failure ?? (integration ? { status: integration.status } : undefined);
        log?.warn({ ...line, target: integration?.url, reason }, 'request failed');
      } else log?.debug(line, 'request');
      if (!tracingOn) return;
      let keptFor: KeepReason | undefined;
      if (trace.sampled) stats.sampled(trace.decision?.ruleName);
      else {
        keptFor = decideKeep(status);
        stats.unsampled(keptFor);
        if (!keptFor) return;
      }
      const contentLength = Number(res.getHeader('content-length'));
      emitter.send(
        buildStageSegment(stage, trace, {
          requestId,
          startMs,
          endMs: handedOverMs ?? Date.now(),
          method,
          url: `http://${host}${rawUrl}`,
          ...clientAddress(forwardedFor, peer, trustedForwarders),
          ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
          status,
          ...(Number.isFinite(contentLength) ? { contentLength } : {}),
          ...(integration ? { integration } : {}),
          ...(keptFor ? { kept: keptFor } : {}),
        }),
      );
    });

    const keptHeader = (status: number): Record<string, string> => {
      const reason = decideKeep(status);
      return reason && internalCaller ? { [TRACE_KEPT_HEADER]: reason } : {};
    };

    // An answer sent while the client is still sending its body (413, 403, 431 …) must not be followed by
    // a close with that body unread: the client's kernel would get a reset and drop the answer. So the
    // body is read and discarded first and the connection closed after it (RFC 9112 §9.6, "lingering
    // close"); a body that never ends is cut off after BODY_LINGER_MS. Node would close right after the
    // answer when the client asked for `Connection: close`, so the connection is kept open and closed here.
    const lingerOverUnreadBody = () => {
      res.shouldKeepAlive = true;
      const linger = setTimeout(() => req.socket.destroy(), BODY_LINGER_MS);
      linger.unref();
      req.socket.once('close', () => clearTimeout(linger));
      req.once('end', () => {
        clearTimeout(linger);
        if (res.writableFinished) req.socket.end();
        else res.once('finish', () => req.socket.end());
      });
      req.resume();
    };
    const hasUnreadBody = () =>
      !req.complete &&
      (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);

    const fail = (error: GatewayError, closeConnection = false) => {
      const headers = { ...responseHeaders, ...keptHeader(error.status) };
      if (hasUnreadBody()) {
        lingerOverUnreadBody();
        sendGatewayError(res, error, headers);
        return;
      }
      sendGatewayError(res, error, closeConnection ? { ...headers, connection: 'close' } : headers);
    };

    if (requestLineAndHeaderValuesBytes(req) > LIMITS.maxRequestLineAndHeaderValuesBytes) {
      return fail(GATEWAY_ERRORS.headersTooLarge, true);
    }
    const declaredLength = Number(req.headers['content-length'] ?? 0);
    if (declaredLength > LIMITS.maxPayloadBytes) return fail(GATEWAY_ERRORS.requestTooLarge, true);

    const match = matchRoute(method, path);
    if ('error' in match) return fail(GATEWAY_ERRORS.missingAuthenticationToken);
    const { route, params } = match;
    internalCaller = route.authorization === 'AWS_IAM';

    const body = await readBody(req, LIMITS.maxPayloadBytes);
    if (body === 'too_large') return fail(GATEWAY_ERRORS.requestTooLarge, true);
    if (body === 'aborted') return;

    const query = parseQuery(rawQuery);
    if (route.authorization === 'AWS_IAM') {
      if (!hasSignature(req.headers, query)) return fail(GATEWAY_ERRORS.missingAuthenticationToken);
      const verified = await verifySigV4(
        { method, path: rawPath, query, headers: req.headers, body },
        {
          credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
          region: config.region,
        },
      );
      if (!verified.ok) return fail(verified.error);
    }

    const problems = validatePathParameters(route, params);
    if (problems.length) return fail(badRequestParameters(problems.map((p) => p.name)));

    const target = new URL(`${targets[route.target]}${path}${rawQuery ? `?${rawQuery}` : ''}`);
    const headers: OutgoingHttpHeaders = endToEndHeaders(req.headers);
    headers.host = target.host;
    headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${peer}` : peer;
    headers['x-amzn-trace-id'] = downstreamTraceHeader(trace);
    headers['x-amzn-apigateway-api-id'] = stage.apiId;
    delete headers['content-length'];
    if (body.length) headers['content-length'] = body.length;

    const callStart = Date.now();
    const result = await callIntegration(
      {
        url: target,
        method,
        headers,
        body,
        timeoutMs: config.integrationTimeoutMs,
        maxResponseBytes: LIMITS.maxPayloadBytes,
      },
      pool,
    );
    const call: IntegrationCall = { url: target.toString(), method, startMs: callStart, endMs: Date.now() };
    integration = call;

    switch (result.kind) {
      case 'timeout':
        call.failure = {
          type: 'IntegrationTimeout',
          message: `no response within ${config.integrationTimeoutMs} ms`,
        };
        return fail(GATEWAY_ERRORS.integrationTimeout);
      case 'unavailable':
        call.failure = socketFailure(result.error);
        return fail({ status: 503, message: 'Service Unavailable' });
      case 'bad_gateway':
        call.failure = socketFailure(result.error);
        return fail({ status: 502, message: 'Bad Gateway' });
      case 'too_large':
        call.failure = { type: 'ResponseTooLarge', message: 'integration response over 10 MB' };
        return fail(GATEWAY_ERRORS.internalServerError);
      case 'response': {
        call.status = result.status;
        call.contentLength = result.body.length;
        const upstream = endToEndHeaders(result.headers);
        delete upstream['content-length'];
        delete upstream['x-amzn-trace-id'];
        downstreamKept = parseKeptHeader(upstream[TRACE_KEPT_HEADER]) !== undefined;
        // Replaced by this stage's own answer (internal routes) or dropped (clients outside never see it).
        delete upstream[TRACE_KEPT_HEADER];
        res.writeHead(result.status, {
          ...upstream,
          ...responseHeaders,
          ...keptHeader(result.status),
          'content-length': result.body.length,
        });
        res.end(method === 'HEAD' ? undefined : result.body);
        return;
      }
    }
  }

  await sampler.start();
  let lastLogged = -1;
  const statsEvery = options.statsLogIntervalMs ?? 60_000;
  const statsTimer =
    statsEvery > 0 && tracingOn
      ? setInterval(() => {
          const snapshot = statsSnapshot();
          if (snapshot.requests === lastLogged) return;
          lastLogged = snapshot.requests;
          log?.info({ stats: snapshot }, 'trace sampling');
        }, statsEvery).unref()
      : undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, options.host ?? config.bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

  return {
    url,
    port,
    sampler,
    emitter,
    stats,
    async close() {
      clearInterval(statsTimer);
      sampler.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      closeConnectionPool(pool);
      await emitter.close();
    },
  };
}

function socketFailure(error: NodeJS.ErrnoException): NonNullable<IntegrationCall['failure']> {
  return { type: error.name, message: error.message, ...(error.code ? { code: error.code } : {}) };
}

function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `::ffff:203.0.113.9` (an IPv4 peer on a dual-stack socket) → `203.0.113.9`. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * The stage segment's `client_ip`: the connection's address, as API Gateway records it
 * (`$context.identity.sourceIp`), since anyone can send an `X-Forwarded-For`. Only when the connection
 * comes from a trusted forwarder is the header believed: the right-most address in it that is not
 * itself a trusted forwarder is the client (`x_forwarded_for: true`, as X-Ray marks an address read
 * from the header).
 */
function clientAddress(
  forwardedFor: string | undefined,
  peer: string,
  trusted: ReadonlySet<string>,
): { clientIp?: string; forwardedFor: boolean } {
  const connection = normalizeAddress(peer);
  if (forwardedFor && trusted.has(connection)) {
    const hops = forwardedFor
      .split(',')
      .map((h) => normalizeAddress(h.trim()))
      .filter((h) => h !== '');
    const client = hops.reverse().find((h) => !trusted.has(h)) ?? hops.at(-1);
    if (client) return { clientIp: client.slice(0, 64), forwardedFor: true };
  }
  return connection ? { clientIp: connection, forwardedFor: false } : { forwardedFor: false };
}

/** API Gateway's header limit counts the request line and header values (names are not counted). */
function requestLineAndHeaderValuesBytes(req: IncomingMessage): number {
  let total = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}`);
  for (let i = 1; i < req.rawHeaders.length; i += 2) total += Buffer.byteLength(req.rawHeaders[i] as string);
  return total;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        // Stop buffering; the connection is closed after the 413.
        req.pause();
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', () => {
      if (!done) {
        done = true;
        resolve('aborted');
      }
    });
    req.on('close', () => {
      if (!done) {
        done = true;
        resolve('aborted');
      }
    });
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

function clip(value: string): string {
  return value.length > 200 ? `${value.slice(0, 200)}…` : value;
}
