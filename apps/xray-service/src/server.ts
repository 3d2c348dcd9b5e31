import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_ACCOUNT, LOCAL_REGION, type XrayServiceConfig } from '@parcel/config';
import { SAMPLING_RULES, type SamplingRule } from '@parcel/sampling-rules';
import { createLogger } from '@parcel/tracing/logger';
import type { Logger } from 'pino';
import { ApiError } from './api-error';
import type { TimeSeriesSource } from './console/console-api';
import { consoleRoutes } from './console/console-routes';
import { parseJsonObject, readBody, sendError, sendJson } from './http-io';
import { otlpRoute } from './otlp-route';
import { SamplingTable } from './sampling-table';
import { TraceStore } from './trace-store';
import { type CallContext, type FilterCompiler, XrayApi } from './xray-api';

/** PutTraceSegments carries at most 50 documents of 64 KB each; leave room for JSON escaping. */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;
/** What PutTraceSegments took in (received = stored + unprocessed), next to the daemon's own counters. */
export const STATS_PATH = '/__xray/stats';

export interface XrayServiceOptions {
  logger?: Logger;
  /** Compiles FilterExpression for GetTraceSummaries; without one, a filter is a 400. */
  filterCompiler?: FilterCompiler;
  /** Rules the table starts with; the project's rules by default. */
  samplingRules?: readonly SamplingRule[];
  bodyLimitBytes?: number;
  /** GetTraceSummaries page size. */
  pageSize?: number;
  /** LOCAL_LOG_DIR: the console shows each trace's lines from the `<piece>.log` files in it. */
  logDir?: string;
}

export interface RunningXrayService {
  url: string;
  port: number;
  api: XrayApi;
  setFilterCompiler(compiler: FilterCompiler | undefined): void;
  close(): Promise<void>;
}

type Operation = (api: XrayApi, body: Record<string, unknown>, ctx: CallContext) => unknown;

/** The REST paths the AWS SDKs and CLI POST to, as @aws-sdk/client-xray declares them. */
const OPERATIONS: Record<string, Operation> = {
  '/TraceSegments': (api, body) => api.putTraceSegments(body),
  '/TraceSummaries': (api, body) => api.getTraceSummaries(body),
  '/Traces': (api, body) => api.batchGetTraces(body),
  '/ServiceGraph': (api, body) => api.getServiceGraph(body),
  '/GetSamplingRules': (api, _body, ctx) => api.getSamplingRules(ctx),
  '/CreateSamplingRule': (api, body, ctx) => api.createSamplingRule(body, ctx),
  '/UpdateSamplingRule': (api, body, ctx) => api.updateSamplingRule(body, ctx),
  '/DeleteSamplingRule': (api, body, ctx) => api.deleteSamplingRule(body, ctx),
  '/SamplingTargets': (api, body, ctx) => api.getSamplingTargets(body, ctx),
  '/CreateGroup': (api, body) => api.createGroup(body),
  '/GetGroup': (api, body) => api.getGroup(body),
  '/Groups': (api, body) => api.getGroups(body),
  '/UpdateGroup': (api, body) => api.updateGroup(body),
  '/DeleteGroup': (api, body) => api.deleteGroup(body),
  '/TimeSeriesServiceStatistics': (api, body) => api.getTimeSeriesServiceStatistics(body),
};

/**
 * The real API sends timestamps as epoch seconds, and the AWS SDKs and CLI read them so. The X-Ray SDK
 * for Node reads sampling times with `new Date(x).getTime() / 1000` (aws-xray-sdk-core's
 * service_connector.js), which turns epoch seconds into 1970 — every quota expired. It calls through the
 * daemon with a bare `http.request` (no User-Agent), so whoever does not say it is an AWS SDK gets epoch
 * milliseconds, which that code reads correctly.
 */
export function callContext(req: IncomingMessage): CallContext {
  const agent = req.headers['user-agent'] ?? '';
  return { timeFormat: /aws-sdk|aws-cli|botocore|boto3/i.test(agent) ? 'epoch-seconds' : 'epoch-millis' };
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The host name of a `Host` header (`name`, `name:port`, `[v6]:port`), lower case. */
function hostName(header: string): string {
  const trimmed = header.trim().toLowerCase();
  if (trimmed.startsWith('[')) return trimmed.slice(0, trimmed.indexOf(']') + 1);
  const colon = trimmed.lastIndexOf(':');
  return colon < 0 ? trimmed : trimmed.slice(0, colon);
}

/** An `Origin` a loopback page has (`http://127.0.0.1:2020`, `http://localhost`, …). */
function loopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

/**
 * What a browser can be made to send and an AWS SDK never does. Every route answers only its own host
 * names (a DNS-rebound page arrives with the attacker's name in `Host`); the operations take only the JSON
 * the SDKs and the CLI send (a cross-site form or `fetch` without preflight can only send `text/plain`,
 * form or multipart bodies) and refuse a page's non-loopback `Origin`.
 */
function checkHost(req: IncomingMessage, hosts: ReadonlySet<string>): void {
  const host = req.headers.host;
  if (host === undefined || !hosts.has(hostName(host))) {
    throw new ApiError(
      403,
      'AccessDeniedException',
      `Host ${JSON.stringify(host ?? '')} is not this service`,
    );
  }
}

/** A write from a web page: only from a loopback page (the console's own). */
function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin !== undefined && !loopbackOrigin(origin)) {
    throw new ApiError(403, 'AccessDeniedException', `Origin ${JSON.stringify(origin)} may not call the API`);
  }
}

function checkApiCaller(req: IncomingMessage): void {
  checkOrigin(req);
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ApiError(
      415,
      'UnsupportedMediaTypeException',
      'The X-Ray API takes Content-Type: application/json',
    );
  }
}

export async function startXrayService(
  config: Pick<XrayServiceConfig, 'port' | 'bindHost' | 'maxTraces'> &
    Partial<Pick<XrayServiceConfig, 'maxBytes' | 'hostnames'>>,
  options: XrayServiceOptions = {},
): Promise<RunningXrayService> {
  const logger = options.logger ?? createLogger({ service: 'xray-service', level: 'silent' });
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const store = new TraceStore(config.maxTraces, config.maxBytes);
  // Loopback, the address it listens on (unless every interface) and the names it is configured with.
  const hosts = new Set(LOOPBACK_HOSTS);
  const bindName = config.bindHost.includes(':') ? `[${config.bindHost}]` : config.bindHost;
  if (config.bindHost !== '0.0.0.0' && config.bindHost !== '::') hosts.add(bindName.toLowerCase());
  for (const name of config.hostnames ?? []) hosts.add(name.toLowerCase());
  const sampling = new SamplingTable(options.samplingRules ?? SAMPLING_RULES, LOCAL_REGION, LOCAL_ACCOUNT);
  const api = new XrayApi(store, sampling, {
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT,
    ...(options.filterCompiler ? { filterCompiler: options.filterCompiler } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  // The console (GET / and /console/**) filters with whatever compiler the API has.
  let filterCompiler = options.filterCompiler;
  // Console filters resolve group.name against the API's groups.
  const web = consoleRoutes({
    store,
    compiler: () =>
      filterCompiler
        ? (text: string) => (filterCompiler as FilterCompiler)(text, api.groups.expressionOf)
        : undefined,
    logDir: options.logDir,
    timeSeries: (body) => api.getTimeSeriesServiceStatistics(body) as unknown as ReturnType<TimeSeriesSource>,
  });
  const otlp = otlpRoute(api, logger);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const [path = '/', search = ''] = (req.url ?? '/').split('?', 2);
    checkHost(req, hosts);
    if (req.method === 'GET' && path === '/health') {
      sendJson(res, 200, {
        status: 'ok',
        traces: store.size,
        bytes: store.bytes,
        evicted: store.evictedCount,
        refused: store.refusedCounts,
        otlp: otlp.stats,
      });
      return;
    }
    if (req.method === 'GET' && path === STATS_PATH) {
      sendJson(res, 200, { segments: api.ingest, traces: store.size, evicted: store.evictedCount });
      return;
    }
    if (req.method === 'POST') checkOrigin(req); // OTLP's own media types are its route's to check
    if (await otlp.handle(req, res, path)) return;
    if (await web.handle(req, res, path, new URLSearchParams(search))) return;
    const operation = OPERATIONS[path];
    if (!operation) {
      req.resume();
      throw new ApiError(404, 'UnknownOperationException', `No operation at ${req.method} ${path}`);
    }
    if (req.method !== 'POST') {
      req.resume();
      throw new ApiError(405, 'UnknownOperationException', `${path} takes POST`);
    }
    checkApiCaller(req);
    const body = parseJsonObject(await readBody(req, bodyLimit));
    sendJson(res, 200, operation(api, body, callContext(req)));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof ApiError) {
        if (err.status >= 500) logger.error({ err }, 'request failed');
        else logger.debug({ path: req.url, type: err.type, message: err.message }, 'bad request');
        sendError(res, err);
      } else {
        logger.error({ err, path: req.url }, 'unexpected failure');
        sendError(res, new ApiError(500, 'InternalFailure', 'Internal failure'));
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.bindHost.includes(':') ? `[${config.bindHost}]` : config.bindHost;
  return {
    url: `http://${host}:${port}`,
    port,
    api,
    setFilterCompiler: (compiler) => {
      filterCompiler = compiler;
      api.setFilterCompiler(compiler);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
