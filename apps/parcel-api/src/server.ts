import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { LOCAL_CREDENTIALS, type ParcelApiConfig } from '@parcel/config';
import { type RunningService, startTracedService } from '@parcel/http-service/traced-service';
import type { LineWriter } from '@parcel/metrics';
import { traceAwsClient } from '@parcel/tracing';
import { NotFoundCache } from './not-found-cache';
import { parcelRoute } from './parcel-route';
import { createVendorStaleMetric } from './vendor-stale-metric';

export const SERVICE_NAME = 'parcel-api';

export type RunningParcelApi = RunningService;

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
  return startTracedService({
    serviceName: SERVICE_NAME,
    config,
    ...opts,
    mount: async ({ app, tracing, emf }) => {
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
      return () => {
        dynamodb.destroy();
        sfn.destroy();
      };
    },
  });
}
