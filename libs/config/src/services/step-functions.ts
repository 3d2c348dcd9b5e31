import { LOCAL_PORTS, PARCEL_TABLE } from '../local-defaults';
import { type Env, optionalUrl, port, readConfig, str } from '../schema';
import { bindHost, credentialsSpec, pieceUrl } from './shared';
import { tracingSpec } from './tracing';

export const stepFunctionsSpec = {
  ...tracingSpec,
  port: port('PORT', {
    description: 'HTTP port of the Step Functions API',
    default: String(LOCAL_PORTS.stepFunctions),
  }),
  bindHost: bindHost('BIND_HOST', 'interface to listen on (loopback unless told; compose sets 0.0.0.0)'),
  apiGatewayUrl: pieceUrl(
    'API_GATEWAY_URL',
    'the execute-api endpoint that the apigateway:invoke tasks call',
    'gateway',
  ),
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
  ...credentialsSpec({
    key: 'key that signs the tasks’ calls',
    secret: 'secret of that key',
  }),
};

export const readStepFunctionsConfig = (env?: Env) => readConfig('step-functions', stepFunctionsSpec, env);
export type StepFunctionsConfig = ReturnType<typeof readStepFunctionsConfig>;
