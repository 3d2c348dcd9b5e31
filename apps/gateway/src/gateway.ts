import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { GatewayConfig } from '@parcel/config';
import { closeConnectionPool, createConnectionPool } from '@parcel/http-service';
import { type KeepReason, KeepStats, reportStatsWhileBusy } from '@parcel/sampling-rules';
import { DaemonClient } from '@parcel/xray-protocol';
import type { Logger } from 'pino';
import { GATEWAY_ERRORS, type GatewayError, rawGatewayError, sendGatewayError } from './gateway-responses';
import { LIMITS } from './limits';
import {
  admit,
  authorise,
  headerString,
  type Integrations,
  invoke,
  keepDecision,
  keptHeader,
  receive,
  respond,
  route,
  type StageRequest,
  stageRequest,
  validate,
} from './pipeline';
import { CentralSampler, type SamplingDecision } from './sampling/sampler';
import { resolveEdgeTrace } from './tracing/edge-trace';
import {
  buildStageSegment,
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
    targetsIntervalMs: config.samplingTargetsIntervalMs,
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
  const trustedForwarders = new Set(
    (config.trustedForwarders ?? '')
      .split(',')
      .map((a) => normalizeAddress(a.trim()))
      .filter((a) => a !== ''),
  );

  const stageContext: Stage = {
    config,
    identity: stage,
    log,
    tracingOn,
    sampler,
    emitter,
    stats,
    statsSnapshot,
    trustedForwarders,
    integrations: {
      targets: { 'parcel-api': config.parcelApiUrl, 'warehouse-query': config.warehouseQueryUrl },
      apiId: stage.apiId,
      timeoutMs: config.integrationTimeoutMs,
      pool,
    },
    signer: {
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      region: config.region,
    },
    keeping: { tracingOn, slowMs: config.traceKeepSlowMs },
  };

  const server = createServer(
    { maxHeaderSize: LIMITS.nodeMaxHeaderSize, keepAliveTimeout: 5_000 },
    (req, res) => {
      handle(stageContext, req, res).catch((error) => {
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

  await sampler.start();
  const statsTimer = tracingOn
    ? reportStatsWhileBusy(
        statsSnapshot,
        (snapshot) => log?.info({ stats: snapshot }, 'trace sampling'),
        options.statsLogIntervalMs ?? 60_000,
      )
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

/** What every request at this stage shares: its identity, config, sampler, counters and integrations. */
interface Stage {
  config: GatewayConfig;
  identity: StageIdentity;
  log: Logger | undefined;
  tracingOn: boolean;
  sampler: CentralSampler;
  emitter: DaemonClient;
  stats: KeepStats;
  statsSnapshot: () => unknown;
  trustedForwarders: ReadonlySet<string>;
  integrations: Integrations;
  signer: Parameters<typeof authorise>[1];
  keeping: Parameters<typeof keepDecision>[2];
}

/** One request through the pipeline (pipeline.ts), with the I/O at its edges. */
async function handle(stage: Stage, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { config, sampler, tracingOn, keeping } = stage;
  const startMs = Date.now();
  // The stage segment ends when the response is handed over (res.end), not when 'finish' fires later:
  // the caller's span (the state machine's task) must never end before the stage segment does.
  let handedOverMs: number | undefined;
  const handOver = res.end;
  res.end = function (this: typeof res, ...args: unknown[]) {
    handedOverMs ??= Date.now();
    return (handOver as (...a: unknown[]) => typeof res).apply(this, args);
  } as typeof res.end;

  const rawPath = (req.url ?? '/').split('?', 1)[0] as string;
  if (req.method === 'GET' && (HEALTH_PATHS.has(rawPath) || rawPath === STATS_PATH)) {
    const body = JSON.stringify(rawPath === STATS_PATH ? stage.statsSnapshot() : { status: 'ok' });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }

  const r = stageRequest(
    req,
    config.stageName,
    (path, method, host) =>
      resolveEdgeTrace(
        req.headers['x-amzn-trace-id'],
        (): SamplingDecision =>
          tracingOn
            ? sampler.decide({
                serviceName: stageServiceName(stage.identity),
                serviceType: STAGE_ORIGIN,
                host,
                httpMethod: method,
                urlPath: path,
              })
            : { sampled: false, ruleName: 'off' },
        startMs,
      ),
    startMs,
  );
  res.on('finish', () => record(stage, r, res, handedOverMs ?? Date.now()));

  const fail = (error: GatewayError, closeConnection = false) => {
    const headers = { ...r.responseHeaders, ...keptHeader(r, error.status, keeping) };
    if (hasUnreadBody(req)) {
      lingerOverUnreadBody(req, res);
      sendGatewayError(res, error, headers);
      return;
    }
    sendGatewayError(res, error, closeConnection ? { ...headers, connection: 'close' } : headers);
  };

  const verdict =
    admit(r) ?? route(r) ?? (await receive(r, req)) ?? (await authorise(r, stage.signer)) ?? validate(r);
  if (verdict === 'stop') return;
  if (verdict) return fail(verdict.error, verdict.close);

  const answer = respond(r, await invoke(r, stage.integrations));
  if (answer.kind === 'error') return fail(answer.error);
  res.writeHead(answer.status, {
    ...answer.headers,
    ...r.responseHeaders,
    ...keptHeader(r, answer.status, keeping),
    'content-length': r.integration?.contentLength ?? 0,
  });
  res.end(answer.body);
}

/** When the answer is out: the log line, the counters, and the stage segment if it is recorded. */
function record(stage: Stage, r: StageRequest, res: ServerResponse, endMs: number): void {
  const { log, tracingOn, stats, emitter, keeping } = stage;
  const status = res.statusCode;
  const line = {
    requestId: r.requestId,
    traceId: r.trace.traceId,
    method: r.method,
    path: clip(r.rawPath),
    status,
  };
  if (status >= 500) {
    // What the stage segment's cause says, in the log too: why, and which target.
    const integration = r.integration;
    const reason = integration?.failure ?? (integration ? { status: integration.status } : undefined);
    log?.warn({ ...line, target: integration?.url, reason }, 'request failed');
  } else log?.debug(line, 'request');
  if (!tracingOn) return;
  let keptFor: KeepReason | undefined;
  if (r.trace.sampled) stats.sampled(r.trace.decision?.ruleName);
  else {
    keptFor = keepDecision(r, status, keeping);
    stats.unsampled(keptFor);
    if (!keptFor) return;
  }
  const contentLength = Number(res.getHeader('content-length'));
  const userAgent = r.headers['user-agent'];
  emitter.send(
    buildStageSegment(stage.identity, r.trace, {
      requestId: r.requestId,
      startMs: r.startMs,
      endMs,
      method: r.method,
      url: `http://${r.host}${r.rawUrl}`,
      ...clientAddress(headerString(r.headers['x-forwarded-for']), r.peer, stage.trustedForwarders),
      ...(userAgent ? { userAgent } : {}),
      status,
      ...(Number.isFinite(contentLength) ? { contentLength } : {}),
      ...(r.integration ? { integration: r.integration } : {}),
      ...(keptFor ? { kept: keptFor } : {}),
    }),
  );
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

function clip(value: string): string {
  return value.length > 200 ? `${value.slice(0, 200)}…` : value;
}

/**
 * An answer sent while the client is still sending its body (413, 403, 431 …) must not be followed by a
 * close with that body unread: the client's kernel would get a reset and drop the answer. So the body is
 * read and discarded first and the connection closed after it (RFC 9112 §9.6, "lingering close"); a body
 * that never ends is cut off after BODY_LINGER_MS. Node would close right after the answer when the client
 * asked for `Connection: close`, so the connection is kept open and closed here.
 */
function lingerOverUnreadBody(req: IncomingMessage, res: ServerResponse): void {
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
}

function hasUnreadBody(req: IncomingMessage): boolean {
  return (
    !req.complete &&
    (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0)
  );
}
