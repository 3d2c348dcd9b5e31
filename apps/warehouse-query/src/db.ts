import { Signer } from '@aws-sdk/rds-signer';
import type { WarehouseQueryConfig } from '@parcel/config';
import pg from 'pg';

/**
 * The pool: `DATABASE_URL` locally and in tests; in AWS `DB_HOST` (RDS Proxy) with an IAM token per new
 * connection and TLS verified against the system CAs (`DB_IAM_AUTH=true`).
 */
export function createPool(config: WarehouseQueryConfig): pg.Pool {
  const common = { max: config.dbPoolSize, connectionTimeoutMillis: 2000, idleTimeoutMillis: 30_000 };
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
