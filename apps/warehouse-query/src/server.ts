import type { WarehouseQueryConfig } from '@parcel/config';
import { type RunningService, startTracedService } from '@parcel/http-service/traced-service';
import { tracePg } from '@parcel/tracing';
import pg from 'pg';
import pgPackage from 'pg/package.json' with { type: 'json' };
import { createPool, warmPool } from './db';
import { vendorRoute, warehouseRoute } from './routes';
import { createVendorClient } from './vendor-client';

export const SERVICE_NAME = 'warehouse-query';

export type RunningWarehouseQuery = RunningService;

/**
 * Starts warehouse-query. It never migrates: the schema is the migration step's job (`migrate-main.ts`,
 * once per deploy). A database that is down at start-up is not fatal: requests answer 503 until it is back.
 */
export async function startWarehouseQuery(
  config: WarehouseQueryConfig,
  opts: { host?: string; port?: number } = {},
): Promise<RunningWarehouseQuery> {
  return startTracedService({
    serviceName: SERVICE_NAME,
    config,
    ...opts,
    mount: async ({ app, tracing }) => {
      // The pg this service queries through: in the image's bundle it is the only copy.
      tracePg(pg, pgPackage.version);
      const pool = createPool(config);
      pool.on('error', (err) => tracing.logger.warn({ err }, 'idle database connection failed'));
      const warmFailure = await warmPool(pool);
      if (warmFailure) tracing.logger.warn({ err: warmFailure }, 'database unavailable at start');
      const vendor = createVendorClient({
        baseUrl: config.vendorBaseUrl,
        timeoutMs: config.vendorTimeoutMs,
        ...(config.vendorCaFile ? { caFile: config.vendorCaFile } : {}),
      });
      app.get('/internal/warehouse/:id', warehouseRoute(pool, tracing.logger));
      app.get('/internal/vendor/:id', vendorRoute(vendor));
      return async () => {
        vendor.close();
        await pool.end();
      };
    },
  });
}
