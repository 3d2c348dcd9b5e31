import { Signer } from '@aws-sdk/rds-signer';
import type { WarehouseQueryConfig } from '@parcel/config';
import pg from 'pg';

/**
 * The pool: `DATABASE_URL` locally and in tests; in AWS `DB_HOST` (RDS Proxy) with an IAM token per new
 * connection and TLS verified against the system CAs (`DB_IAM_AUTH=true`).
 */
export function createPool(config: WarehouseQueryConfig): pg.Pool {
  const common = {
    max: config.dbPoolSize,
    // Idle connections down to `min` are kept: the pool never empties between bursts (issue 13's soak
    // found each burst after a 36 s gap reopening every connection, on a starved machine past the timeout).
    min: Math.min(config.dbPoolMin, config.dbPoolSize),
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    idleTimeoutMillis: config.dbIdleTimeoutMs,
  };
  if (config.databaseUrl) return new pg.Pool({ ...common, connectionString: config.databaseUrl });
  if (!config.dbHost) throw new Error('warehouse-query needs DATABASE_URL or DB_HOST');
  const base = {
    ...common,
    host: config.dbHost,
    port: config.dbPort,
    database: config.dbName,
    user: config.dbUser,
  };
  if (!config.dbIamAuth) return new pg.Pool(base);
  const signer = new Signer({
    hostname: config.dbHost,
    port: config.dbPort,
    username: config.dbUser,
    region: config.region,
  });
  return new pg.Pool({
    ...base,
    // Tokens live 15 minutes; pg asks for the password on every new connection.
    password: () => signer.getAuthToken(),
    ssl: { rejectUnauthorized: true },
  });
}

/**
 * Opens the pool's `min` connections ahead of the first request. A database that is down is not an error
 * here (the requests answer 503 until it is back): the failure is returned for the caller to log.
 */
export async function warmPool(pool: pg.Pool): Promise<Error | undefined> {
  const clients: pg.PoolClient[] = [];
  try {
    for (let i = 0; i < (pool.options.min ?? 0); i++) clients.push(await pool.connect());
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    for (const client of clients) client.release();
  }
}
