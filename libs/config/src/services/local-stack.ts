import { LOCAL_PORTS, LOCAL_VENDOR_HOST } from '../local-defaults';
import { type Env, hostPort, int, optionalUrl, port, readConfig, str, url } from '../schema';
import { pieceUrl } from './shared';

/**
 * What `npm start` reads: the same variable names the containers use, so one variable moves a piece for
 * the launcher and for every piece that calls it.
 */
export const localStackSpec = {
  gatewayUrl: pieceUrl('API_GATEWAY_URL', 'the API Gateway stage (the front door)', 'gateway'),
  parcelApiUrl: pieceUrl('PARCEL_API_URL', 'parcel-api', 'parcelApi'),
  warehouseQueryUrl: pieceUrl('WAREHOUSE_QUERY_URL', 'warehouse-query', 'warehouseQuery'),
  daemonAddress: hostPort('AWS_XRAY_DAEMON_ADDRESS', {
    description: 'the X-Ray daemon, UDP and TCP',
    default: `127.0.0.1:${LOCAL_PORTS.xrayDaemon}`,
  }),
  otlpAddress: hostPort('OTLP_RECEIVER_ADDRESS', {
    description:
      "the sidecar's OTLP/HTTP receiver (POST /v1/traces); services export to it through OTEL_EXPORTER_OTLP_ENDPOINT",
    default: `127.0.0.1:${LOCAL_PORTS.otlpReceiver}`,
  }),
  xrayEndpoint: pieceUrl('XRAY_ENDPOINT', 'the X-Ray API and console', 'xrayService'),
  dynamodbEndpoint: pieceUrl('DYNAMODB_ENDPOINT', 'DynamoDB (dynalite)', 'dynamodb'),
  sfnEndpoint: pieceUrl('SFN_ENDPOINT', 'Step Functions', 'stepFunctions'),
  vendorBaseUrl: url('VENDOR_BASE_URL', {
    description: 'the tracking vendor simulator (HTTPS)',
    default: `https://${LOCAL_VENDOR_HOST}:${LOCAL_PORTS.vendor}`,
  }),
  databaseUrl: optionalUrl('DATABASE_URL', {
    description: 'an existing PostgreSQL to use instead of the embedded one',
  }),
  postgresPort: port('POSTGRES_PORT', {
    description: 'port of the embedded PostgreSQL (when DATABASE_URL is unset)',
    default: String(LOCAL_PORTS.postgres),
  }),
  stateDir: str('LOCAL_STATE_DIR', {
    description: 'where the local stack keeps its data, certificates and logs',
    default: '.local',
  }),
  readyTimeoutMs: int('READY_TIMEOUT_MS', {
    description: 'how long a piece may take to become healthy',
    default: '60000',
    min: 1000,
  }),
};

export const readLocalStackConfig = (env?: Env) => readConfig('local-stack', localStackSpec, env);
export type LocalStackConfig = ReturnType<typeof readLocalStackConfig>;
