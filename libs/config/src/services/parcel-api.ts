import { LOCAL_PORTS, LOCAL_STATE_MACHINE_ARN, PARCEL_TABLE } from '../local-defaults';
import { type Env, int, optionalUrl, port, readConfig, str } from '../schema';
import { metricsSpec } from './metrics';
import { servingSpec } from './serving';
import { bindHost } from './shared';
import { serviceTracingBackend, tracingSpec } from './tracing';

export const parcelApiSpec = {
  ...tracingSpec,
  serviceTracingBackend: serviceTracingBackend('PARCEL_API', 'parcel-api'),
  ...servingSpec,
  ...metricsSpec,
  port: port('PORT', {
    description: 'HTTP port parcel-api listens on',
    default: String(LOCAL_PORTS.parcelApi),
  }),
  bindHost: bindHost(
    'BIND_HOST',
    'interface to listen on: loopback unless told (the image, compose and the task definition set 0.0.0.0)',
  ),
  tableName: str('PARCEL_TABLE', {
    description: 'DynamoDB table caching merged parcels',
    default: PARCEL_TABLE,
  }),
  dynamodbEndpoint: optionalUrl('DYNAMODB_ENDPOINT', {
    description: 'DynamoDB endpoint (unset: the AWS default)',
  }),
  stateMachineArn: str('STATE_MACHINE_ARN', {
    description: 'ARN of the parcel-fanout express state machine',
    default: LOCAL_STATE_MACHINE_ARN,
  }),
  sfnEndpoint: optionalUrl('SFN_ENDPOINT', {
    description: 'Step Functions endpoint (unset: the AWS default)',
  }),
  cacheTtlSeconds: int('CACHE_TTL_SECONDS', {
    description: 'age under which a cached parcel is served without a fan-out',
    default: '60',
    min: 0,
  }),
  cacheRetentionSeconds: int('CACHE_RETENTION_SECONDS', {
    description:
      "how long a cached parcel is kept as the stale copy served when the fan-out degrades: written as the item's TTL attribute (expiresAt), after which DynamoDB deletes it",
    default: '86400',
    min: 1,
  }),
  notFoundCacheSeconds: int('NOT_FOUND_CACHE_SECONDS', {
    description: 'how long a "no such parcel" answer is reused for the same id without a fan-out (0 = never)',
    default: '10',
    min: 0,
  }),
  notFoundCacheEntries: int('NOT_FOUND_CACHE_ENTRIES', {
    description: 'at most this many "no such parcel" answers are kept per task (the oldest go first)',
    default: '10000',
    min: 1,
  }),
};

export const readParcelApiConfig = (env?: Env) => readConfig('parcel-api', parcelApiSpec, env);
export type ParcelApiConfig = ReturnType<typeof readParcelApiConfig>;
