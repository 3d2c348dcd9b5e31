import { effectiveTracingBackend, type WarehouseQueryConfig } from '@parcel/config';
import { errorBody } from '@parcel/contract';
import { listen } from '@parcel/http-service';
import { createEmfSink, createLatencyMetric, measureLatency } from '@parcel/metrics';
import { initTracing, traceErrors, traceRequests, tracingStats } from '@parcel/tracing';
import express from 'express';
import { createPool, warmPool } from './db';
import { vendorRoute, warehouseRoute } from './routes';
import { createVendorClient } from './vendor-client';

export const SERVICE_NAME = 'warehouse-query';

export interface RunningWarehouseQuery {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts warehouse-query. It never migrates: the schema is the migration step's job (`migrate-main.ts`,
 * once per deploy). A database that is down at start-up is not fatal: requests answer 503 until it is back.
 */
export async function startWarehouseQuery(
  config: WarehouseQueryConfig,
  opts: { host?: string; port?: number } = {},
): Promise<RunningWarehouseQuery> {
  const tracing = initTracing({
    serviceName: SERVICE_NAME,
    backend: effectiveTracingBackend(config),
    otlpEndpoint: config.otlpEndpoint,
    daemonAddress: config.daemonAddress,
    logLevel: config.logLevel,
    keepSlowMs: config.traceKeepSlowMs,
    ...(config.serviceVersion ? { serviceVersion: config.serviceVersion } : {}),
  });
  const pool = createPool(config);
  pool.on('error', (err) => tracing.logger.warn({ err }, 'idle database connection failed'));
  const warmFailure = await warmPool(pool);
  if (warmFailure) tracing.logger.warn({ err: warmFailure }, 'database unavailable at start');
  const vendor = createVendorClient({
    baseUrl: config.vendorBaseUrl,
    timeoutMs: config.vendorTimeoutMs,
    ...(config.vendorCaFile ? { caFile: config.vendorCaFile } : {}),
  });

  const latency = createLatencyMetric({
    sink: createEmfSink(SERVICE_NAME),
    serviceName: SERVICE_NAME,
    intervalMs: config.metricsIntervalSeconds * 1000,
  });

  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/__tracing/stats', tracingStats(SERVICE_NAME));
  app.use(traceRequests(SERVICE_NAME));
  app.use(measureLatency(latency));
  app.get('/internal/warehouse/:id', warehouseRoute(pool, tracing.logger));
  app.get('/internal/vendor/:id', vendorRoute(vendor));
  app.use((_req, res) => {
    res.status(404).json(errorBody('not_found', 'no such route'));
  });
  app.use(traceErrors());

  const http = await listen(
    app,
    opts.port ?? config.port,
    opts.host ?? config.bindHost,
    config.serverTimeouts,
  );
  return {
    url: http.url,
    port: http.port,
    close: async () => {
      await http.close();
      // After the last request: the interval's latencies are printed, not lost with the process.
      latency.stop();
      vendor.close();
      await pool.end();
    },
  };
}
