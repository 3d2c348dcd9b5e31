import { KeepStats, type KeepStatsSnapshot } from '@parcel/sampling-rules';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { activeTracing } from './tracing';

export type { KeepStatsSnapshot };

// Per service name: tests (and the launcher) may run several services in one process.
const byService = new Map<string, KeepStats>();

/** What became of each request's segment in `service`: sampled (by rule), kept (by reason), discarded. */
export function keepStatsFor(service: string): KeepStats {
  let stats = byService.get(service);
  if (!stats) {
    stats = new KeepStats();
    byService.set(service, stats);
  }
  return stats;
}

/** `GET /__tracing/stats`: this service's counts as JSON. Mount it before `traceRequests` (not traced). */
export function tracingStats(service: string): RequestHandler {
  return (_req, res) => {
    const { provider } = activeTracing();
    const exporter = provider.exportStats();
    res.json({
      service,
      backend: provider.backend,
      ...keepStatsFor(service).snapshot(),
      ...(exporter ? { exporter } : {}),
    });
  };
}

const loggers = new Map<string, NodeJS.Timeout>();

/** Logs the service's counts every `everyMs` when they changed (one timer per service, unref'd). */
export function logKeepStatsPeriodically(service: string, logger: Logger, everyMs = 60_000): void {
  if (loggers.has(service)) return;
  let last = '';
  const timer = setInterval(() => {
    const snapshot = keepStatsFor(service).snapshot();
    const text = JSON.stringify(snapshot);
    if (text === last) return;
    last = text;
    logger.info({ tracing: snapshot }, 'tracing: segments sampled, kept and discarded');
  }, everyMs);
  timer.unref();
  loggers.set(service, timer);
}
