import { LOCAL_PORTS, PARCEL_TABLE } from '../local-defaults';
import { type Env, optionalUrl, port, readConfig, str, url } from '../schema';
import { tracingSpec } from './tracing';

export const stepFunctionsSpec = {
  ...tracingSpec,
  port: port('PORT', {
    description: 'HTTP port of the Step Functions API',
    default: String(LOCAL_PORTS.stepFunctions),
  }),
  bindHost: str('BIND_HOST', {
    description: 'interface to listen on (loopback unless told; compose sets 0.0.0.0)',
    default: '127.0.0.1',
  }),
  apiGatewayUrl: url('API_GATEWAY_URL', {
    description: 'the execute-api endpoint that the apigateway:invoke tasks call',
    default: `http://127.0.0.1:${LOCAL_PORTS.gateway}`,
  }),
  stageName: str('STAGE_NAME', {
    description: 'the API Gateway stage the internal routes are called on (`/{stage}/internal/…`)',
    default: 'local',
  }),
  dynamodbEndpoint: optionalUrl('DYNAMODB_ENDPOINT', {
    description: 'DynamoDB endpoint for dynamodb:putItem tasks',
  }),
  tableName: str('PARCEL_TABLE', {
    description: 'the cache table the fan-out writes',
    default: PARCEL_TABLE,
  }),
  accessKeyId: str('AWS_ACCESS_KEY_ID', {
    description: 'key that signs the tasks’ calls',
    default: 'LOCALSTACKKEY',
  }),
  secretAccessKey: str('AWS_SECRET_ACCESS_KEY', {
    description: 'secret of that key',
    default: 'local-secret-key',
  }),
};

export const readStepFunctionsConfig = (env?: Env) => readConfig('step-functions', stepFunctionsSpec, env);
export type StepFunctionsConfig = ReturnType<typeof readStepFunctionsConfig>;
