import { LOCAL_ACCOUNT, LOCAL_PORTS } from '../local-defaults';
import { type Env, int, optionalStr, port, readConfig, str, url } from '../schema';
import { tracingSpec } from './tracing';

export const gatewaySpec = {
  ...tracingSpec,
  port: port('PORT', {
    description: 'HTTP port of the API Gateway stage',
    default: String(LOCAL_PORTS.gateway),
  }),
  bindHost: str('BIND_HOST', {
    description: 'interface to listen on (loopback unless told; compose sets 0.0.0.0)',
    default: '127.0.0.1',
  }),
  trustedForwarders: optionalStr('TRUSTED_FORWARDERS', {
    description:
      'comma-separated peer addresses whose X-Forwarded-For names the client (a proxy you run in front); unset: none, so client_ip is the connection address, as API Gateway records it',
  }),
  parcelApiUrl: url('PARCEL_API_URL', {
    description: 'base URL of parcel-api (the VPC link target)',
    default: `http://127.0.0.1:${LOCAL_PORTS.parcelApi}`,
  }),
  warehouseQueryUrl: url('WAREHOUSE_QUERY_URL', {
    description: 'base URL of warehouse-query (the VPC link target)',
    default: `http://127.0.0.1:${LOCAL_PORTS.warehouseQuery}`,
  }),
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
  accessKeyId: str('AWS_ACCESS_KEY_ID', {
    description: 'the local account key whose SigV4 signatures the IAM-authorised routes accept',
    default: 'LOCALSTACKKEY',
  }),
  secretAccessKey: str('AWS_SECRET_ACCESS_KEY', {
    description: 'the secret of that key',
    default: 'local-secret-key',
  }),
};

export const readGatewayConfig = (env?: Env) => readConfig('gateway', gatewaySpec, env);
export type GatewayConfig = ReturnType<typeof readGatewayConfig>;
