import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { ApiError } from '../api-error';
import { sendJson } from '../http-io';
import type { TraceStore } from '../trace-store';
import type { FilterCompiler } from '../xray-api';
import { ConsoleApi, ConsoleError, type TimeSeriesSource } from './console-api';
import { EmfIndex } from './emf-index';
import { LogIndex } from './log-index';
import { LogTailer } from './log-tailer';

const WEB_DIR = join(import.meta.dirname, 'web');

/** The console's files: name → content type. Nothing else under /console/ is served from disk. */
const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'styles.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'traces.js': 'text/javascript; charset=utf-8',
  'waterfall.js': 'text/javascript; charset=utf-8',
  'service-map.js': 'text/javascript; charset=utf-8',
  'analytics.js': 'text/javascript; charset=utf-8',
  'chart.js': 'text/javascript; charset=utf-8',
  'metrics.js': 'text/javascript; charset=utf-8',
};

/**
 * Trace data is attacker-influenced (URLs, annotations, log lines): the page builds its DOM with
 * textContent only, and this policy forbids inline script and any other origin besides.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface ConsoleRoutes {
  /** Answers GET / and /console/**; false when the path is not the console's. */
  handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean>;
  readonly api: ConsoleApi;
}

export function consoleRoutes(opts: {
  store: TraceStore;
  compiler: () => FilterCompiler | undefined;
  /** GetTimeSeriesServiceStatistics, for the per-node charts. */
  timeSeries?: TimeSeriesSource;
  /** LOCAL_LOG_DIR: the `<piece>.log` files whose lines are shown with their trace. */
  logDir?: string;
}): ConsoleRoutes {
  // One tailer for both indexes: each piece's log file is read once for its trace lines and its EMF.
  const tailer = opts.logDir ? new LogTailer(opts.logDir) : undefined;
  const logs = tailer ? new LogIndex(tailer) : undefined;
  const metrics = tailer ? new EmfIndex(tailer) : undefined;
  const api = new ConsoleApi(opts.store, opts.compiler, logs, opts.timeSeries, metrics);
  const cache = new Map<string, Buffer>();

  const asset = async (name: string): Promise<Buffer> => {
    let body = cache.get(name);
    if (!body) {
      body = await readFile(join(WEB_DIR, name));
      cache.set(name, body);
    }
    return body;
  };

  const sendAsset = async (res: ServerResponse, name: string) => {
    const body = await asset(name);
    res.writeHead(200, {
      'content-type': ASSETS[name] as string,
      'content-length': body.length,
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    });
    res.end(body);
  };

  const apiCall = (path: string, query: URLSearchParams): unknown => {
    if (path === '/console/api/traces') return api.traces(query);
    if (path.startsWith('/console/api/traces/')) {
      let id: string;
      try {
        id = decodeURIComponent(path.slice('/console/api/traces/'.length));
      } catch {
        throw new ConsoleError('not a trace id (malformed escape)');
      }
      if (!/^1-[0-9a-f]{8}-[0-9a-f]{24}$/.test(id)) throw new ConsoleError('not a trace id');
      return api.trace(id);
    }
    if (path === '/console/api/service-map') return api.serviceMap(query);
    if (path === '/console/api/analytics') return api.analytics(query);
    if (path === '/console/api/node-series') return api.nodeSeries(query);
    if (path === '/console/api/metrics') return api.metrics(query);
    throw new ApiError(404, 'NotFound', `No console endpoint at ${path}`);
  };

  return {
    api,
    async handle(req, res, path, query) {
      if (path !== '/' && path !== '/console' && !path.startsWith('/console/')) return false;
      req.resume();
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new ApiError(405, 'MethodNotAllowed', `${path} takes GET`);
      if (path === '/' || path === '/console' || path === '/console/') {
        await sendAsset(res, 'index.html');
        return true;
      }
      if (path.startsWith('/console/api/')) {
        try {
          sendJson(res, 200, await apiCall(path, query), {
            'cache-control': 'no-store',
            ...SECURITY_HEADERS,
          });
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          const position = err instanceof ConsoleError ? err.position : undefined;
          sendJson(
            res,
            err.status,
            {
              error: {
                type: err.type,
                message: err.message,
                ...(position !== undefined ? { position } : {}),
              },
            },
            SECURITY_HEADERS,
          );
        }
        return true;
      }
      const name = path.slice('/console/'.length);
      if (!Object.hasOwn(ASSETS, name)) throw new ApiError(404, 'NotFound', `No console file at ${path}`);
      await sendAsset(res, name);
      return true;
    },
  };
}
