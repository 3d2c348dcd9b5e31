import { LOCAL_PORTS, LOCAL_VENDOR_HOST } from '../local-defaults';
import { bool, type Env, int, optionalStr, optionalUrl, port, readConfig, str, url } from '../schema';
import { metricsSpec } from './metrics';
import { servingSpec } from './serving';
import { serviceTracingBackend, tracingSpec } from './tracing';

export const warehouseQuerySpec = {
  ...tracingSpec,
  serviceTracingBackend: serviceTracingBackend('WAREHOUSE_QUERY', 'warehouse-query'),
  ...servingSpec,
  ...metricsSpec,
  port: port('PORT', {
    description: 'HTTP port warehouse-query listens on',
    default: String(LOCAL_PORTS.warehouseQuery),
  }),
  bindHost: str('BIND_HOST', {
    description:
      'interface to listen on: loopback unless told (the image, compose and the task definition set 0.0.0.0)',
    default: '127.0.0.1',
  }),
  databaseUrl: optionalUrl('DATABASE_URL', {
    description: 'PostgreSQL URL (local and tests); unset in AWS, where DB_HOST and IAM auth are used',
  }),
  dbHost: optionalStr('DB_HOST', { description: 'RDS Proxy endpoint (when DATABASE_URL is unset)' }),
  dbPort: port('DB_PORT', { description: 'PostgreSQL port', default: '5432' }),
  dbName: str('DB_NAME', { description: 'database name', default: 'parcels' }),
  dbUser: str('DB_USER', { description: 'database user', default: 'warehouse' }),
  dbIamAuth: bool('DB_IAM_AUTH', {
    description: 'authenticate with RDS IAM tokens (TLS on)',
    default: 'false',
  }),
  seedSampleParcels: bool('SEED_SAMPLE_PARCELS', {
    description: 'the migration step also inserts the sample parcels (the local stack only)',
    default: 'false',
  }),
  dbPoolSize: int('DB_POOL_SIZE', { description: 'pg pool size', default: '10', min: 1 }),
  dbPoolMin: int('DB_POOL_MIN', {
    description:
      'connections opened at start and kept open while idle (at most DB_POOL_SIZE), so a burst after a quiet spell does not wait for new connections',
    default: '2',
    min: 0,
  }),
  dbIdleTimeoutMs: int('DB_IDLE_TIMEOUT_MS', {
    description: 'an idle connection above DB_POOL_MIN is closed after this long',
    default: '30000',
    min: 0,
  }),
  dbConnectTimeoutMs: int('DB_CONNECT_TIMEOUT_MS', {
    description:
      'longest wait for a connection (new or from the pool) before the request answers 503 database_unavailable',
    default: '2000',
    min: 1,
  }),
  vendorBaseUrl: url('VENDOR_BASE_URL', {
    description: 'base URL of the tracking vendor API',
    default: `https://${LOCAL_VENDOR_HOST}:${LOCAL_PORTS.vendor}`,
  }),
  vendorTimeoutMs: int('VENDOR_TIMEOUT_MS', {
    description: 'hard timeout of a vendor call in ms (0 disables it)',
    default: '400',
    min: 0,
  }),
  vendorCaFile: optionalStr('VENDOR_CA_FILE', {
    description:
      'PEM file of an extra CA to trust for the vendor (the local CA); the system CAs stay trusted',
  }),
};

export const readWarehouseQueryConfig = (env?: Env) => readConfig('warehouse-query', warehouseQuerySpec, env);
export type WarehouseQueryConfig = ReturnType<typeof readWarehouseQueryConfig>;
