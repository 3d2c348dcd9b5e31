import type { ConfigOf, metricsSpec, servingSpec, TracingBackendName, tracingSpec } from '@parcel/config';
import { effectiveTracingBackend } from '@parcel/config';
import { errorBody } from '@parcel/contract';
import {
  createEmfSink,
  createLatencyMetric,
  type EmfSink,
  type LineWriter,
  measureLatency,
} from '@parcel/metrics';
import { initTracing, type Tracing, traceErrors, traceRequests, tracingStats } from '@parcel/tracing';
import express from 'express';
import { listen } from './server';

/** What a traced service behind the load balancer reads (parcel-api's and warehouse-query's configs have it). */
export type TracedServiceConfig = ConfigOf<typeof tracingSpec> &
  ConfigOf<typeof servingSpec> &
  ConfigOf<typeof metricsSpec> & {
    readonly serviceTracingBackend: TracingBackendName | undefined;
    readonly port: number;
    readonly bindHost: string;
  };

export interface RunningService {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface TracedServiceOptions {
  serviceName: string;
  config: TracedServiceConfig;
  host?: string;
  port?: number;
  /** Where EMF metric lines go (default stdout, beside the JSON logs). */
  metricsWriter?: LineWriter;
  /**
   * Builds the service's clients (after tracing is initialised, so their calls are captured) and mounts
   * its routes; returns what to close after the last request.
   */
  mount(service: {
    app: express.Express;
    tracing: Tracing;
    emf: EmfSink;
  }): Promise<() => Promise<void> | void>;
}

/**
 * The skeleton both services share, in the order that matters: `/health` and `/__tracing/stats` outside
 * tracing; every other request traced, then measured (latency in EMF); the service's routes; a JSON 404;
 * faults recorded; served with the timeouts behind the load balancer.
 */
export async function startTracedService(opts: TracedServiceOptions): Promise<RunningService> {
  const { config, serviceName } = opts;
  const tracing = initTracing({
    serviceName,
    backend: effectiveTracingBackend(config),
    otlpEndpoint: config.otlpEndpoint,
    otlpExportDelayMs: config.otlpExportDelayMs,
    daemonAddress: config.daemonAddress,
    logLevel: config.logLevel,
    keepSlowMs: config.traceKeepSlowMs,
    ...(config.serviceVersion ? { serviceVersion: config.serviceVersion } : {}),
  });
  const emf = createEmfSink(serviceName, opts.metricsWriter);
  const latency = createLatencyMetric({
    sink: emf,
    serviceName,
    intervalMs: config.metricsIntervalSeconds * 1000,
  });

  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/__tracing/stats', tracingStats(serviceName));
  app.use(traceRequests(serviceName));
  app.use(measureLatency(latency));
  const closeResources = await opts.mount({ app, tracing, emf });
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
      await closeResources();
    },
  };
}
