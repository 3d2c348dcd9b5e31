import { LOCAL_PORTS, LOCAL_STATE_MACHINE_ARN, PARCEL_TABLE } from '../local-defaults';
import { type Env, int, optionalUrl, port, readConfig, str } from '../schema';
import { servingSpec } from './serving';
import { tracingSpec } from './tracing';

export const parcelApiSpec = {
  ...tracingSpec,
  ...servingSpec,
  port: port('PORT', {
    description: 'HTTP port parcel-api listens on',
    default: String(LOCAL_PORTS.parcelApi),
  }),
  bindHost: str('BIND_HOST', {
    description:
      'interface to listen on: loopback unless told (the image, compose and the task definition set 0.0.0.0)',
    default: '127.0.0.1',
  }),
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
};

export const readParcelApiConfig = (env?: Env) => readConfig('parcel-api', parcelApiSpec, env);
export type ParcelApiConfig = ReturnType<typeof readParcelApiConfig>;
