import { LOCAL_ACCOUNT, LOCAL_PORTS } from '../local-defaults';
import { type Env, int, optionalStr, port, readConfig, str } from '../schema';
import { bindHost, credentialsSpec, pieceUrl } from './shared';
import { tracingSpec } from './tracing';

export const gatewaySpec = {
  ...tracingSpec,
  port: port('PORT', {
    description: 'HTTP port of the API Gateway stage',
    default: String(LOCAL_PORTS.gateway),
  }),
  bindHost: bindHost('BIND_HOST', 'interface to listen on (loopback unless told; compose sets 0.0.0.0)'),
  trustedForwarders: optionalStr('TRUSTED_FORWARDERS', {
    description:
      'comma-separated peer addresses whose X-Forwarded-For names the client (a proxy you run in front); unset: none, so client_ip is the connection address, as API Gateway records it',
  }),
  parcelApiUrl: pieceUrl('PARCEL_API_URL', 'base URL of parcel-api (the VPC link target)', 'parcelApi'),
  warehouseQueryUrl: pieceUrl(
    'WAREHOUSE_QUERY_URL',
    'base URL of warehouse-query (the VPC link target)',
    'warehouseQuery',
  ),
  apiId: str('API_ID', { description: 'REST API id, as in the stage ARN', default: 'parcelapi' }),
  accountId: str('AWS_ACCOUNT_ID', {
    description: 'account id recorded on stage segments (aws.api_gateway.account_id)',
    default: LOCAL_ACCOUNT,
  }),
  stageName: str('STAGE_NAME', { description: 'stage name, as in the stage ARN', default: 'local' }),
  integrationTimeoutMs: int('INTEGRATION_TIMEOUT_MS', {
    description: 'integration timeout (API Gateway: 29 s by default)',
    default: '29000',
    min: 50,
  }),
  samplingTargetsIntervalMs: int('SAMPLING_TARGETS_INTERVAL_MS', {
    description:
      'how often the stage reports its sampling statistics and takes new quotas (POST /SamplingTargets); the X-Ray SDKs do it every 10 s. Tests shorten it so a rule change takes effect sooner',
    default: '10000',
    min: 100,
  }),
  ...credentialsSpec({
    key: 'the local account key whose SigV4 signatures the IAM-authorised routes accept',
    secret: 'the secret of that key',
  }),
};

export const readGatewayConfig = (env?: Env) => readConfig('gateway', gatewaySpec, env);
export type GatewayConfig = ReturnType<typeof readGatewayConfig>;
