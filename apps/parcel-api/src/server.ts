import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { effectiveTracingBackend, LOCAL_CREDENTIALS, type ParcelApiConfig } from '@parcel/config';
import { errorBody } from '@parcel/contract';
import { listen } from '@parcel/http-service';
import { createEmfSink, createLatencyMetric, type LineWriter, measureLatency } from '@parcel/metrics';
import { initTracing, traceAwsClient, traceErrors, traceRequests, tracingStats } from '@parcel/tracing';
import express from 'express';
import { NotFoundCache } from './not-found-cache';
import { parcelRoute } from './parcel-route';
import { createVendorStaleMetric } from './vendor-stale-metric';

export const SERVICE_NAME = 'parcel-api';

export interface RunningParcelApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts parcel-api on `host` (default all interfaces, as in a container) and the configured port. */
export async function startParcelApi(
  config: ParcelApiConfig,
  opts: {
    host?: string;
    port?: number;
    /** Where EMF metric lines go (default stdout, beside the JSON logs). */
    metricsWriter?: LineWriter;
  } = {},
): Promise<RunningParcelApi> {
  const tracing = initTracing({
    serviceName: SERVICE_NAME,
    backend: effectiveTracingBackend(config),
    otlpEndpoint: config.otlpEndpoint,
    daemonAddress: config.daemonAddress,
    logLevel: config.logLevel,
    keepSlowMs: config.traceKeepSlowMs,
    ...(config.serviceVersion ? { serviceVersion: config.serviceVersion } : {}),
  });
  // Local stand-ins take the static local credentials; in AWS the default provider chain applies.
  const dynamodb = traceAwsClient(
    new DynamoDBClient({
      region: config.region,
      ...(config.dynamodbEndpoint
        ? { endpoint: config.dynamodbEndpoint, credentials: LOCAL_CREDENTIALS }
        : {}),
      maxAttempts: 2,
      // A slow or dead cache must cost little: the fan-out still answers.
      requestHandler: { connectionTimeout: 500, requestTimeout: 1000 },
    }),
  );
  const sfn = traceAwsClient(
    new SFNClient({
      region: config.region,
      // StartSyncExecution's host gets a `sync-` prefix, which a custom endpoint does not have.
      ...(config.sfnEndpoint
        ? { endpoint: config.sfnEndpoint, credentials: LOCAL_CREDENTIALS, disableHostPrefix: true }
        : {}),
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 1000, requestTimeout: 30_000 },
    }),
  );

  const emf = createEmfSink(SERVICE_NAME, opts.metricsWriter);
  const latency = createLatencyMetric({
    sink: emf,
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
  app.get(
    '/parcels/:id',
    parcelRoute({
      dynamodb,
      sfn,
      tableName: config.tableName,
      stateMachineArn: config.stateMachineArn,
      cacheTtlSeconds: config.cacheTtlSeconds,
      cacheRetentionSeconds: config.cacheRetentionSeconds,
      notFound: new NotFoundCache(config.notFoundCacheSeconds * 1000, config.notFoundCacheEntries),
      logger: tracing.logger,
      vendorStale: createVendorStaleMetric(emf),
    }),
  );
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
      dynamodb.destroy();
      sfn.destroy();
    },
  };
}
