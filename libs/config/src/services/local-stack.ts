import { LOCAL_PORTS, LOCAL_VENDOR_HOST } from '../local-defaults';
import { type Env, hostPort, int, optionalUrl, port, readConfig, str, url } from '../schema';

/**
 * What `npm start` reads: the same variable names the containers use, so one variable moves a piece for
 * the launcher and for every piece that calls it.
 */
export const localStackSpec = {
  gatewayUrl: url('API_GATEWAY_URL', {
    description: 'the API Gateway stage (the front door)',
    default: `http://127.0.0.1:${LOCAL_PORTS.gateway}`,
  }),
  parcelApiUrl: url('PARCEL_API_URL', {
    description: 'parcel-api',
    default: `http://127.0.0.1:${LOCAL_PORTS.parcelApi}`,
  }),
  warehouseQueryUrl: url('WAREHOUSE_QUERY_URL', {
    description: 'warehouse-query',
    default: `http://127.0.0.1:${LOCAL_PORTS.warehouseQuery}`,
  }),
  daemonAddress: hostPort('AWS_XRAY_DAEMON_ADDRESS', {
    description: 'the X-Ray daemon, UDP and TCP',
    default: `127.0.0.1:${LOCAL_PORTS.xrayDaemon}`,
  }),
  otlpAddress: hostPort('OTLP_RECEIVER_ADDRESS', {
    description:
      "the sidecar's OTLP/HTTP receiver (POST /v1/traces); services export to it through OTEL_EXPORTER_OTLP_ENDPOINT",
    default: `127.0.0.1:${LOCAL_PORTS.otlpReceiver}`,
  }),
  xrayEndpoint: url('XRAY_ENDPOINT', {
    description: 'the X-Ray API and console',
    default: `http://127.0.0.1:${LOCAL_PORTS.xrayService}`,
  }),
  dynamodbEndpoint: url('DYNAMODB_ENDPOINT', {
    description: 'DynamoDB (dynalite)',
    default: `http://127.0.0.1:${LOCAL_PORTS.dynamodb}`,
  }),
  sfnEndpoint: url('SFN_ENDPOINT', {
    description: 'Step Functions',
    default: `http://127.0.0.1:${LOCAL_PORTS.stepFunctions}`,
  }),
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
