import { readStepFunctionsConfig } from '@parcel/config';
import { type RunningStepFunctions, startStepFunctions } from '@parcel/step-functions';
import { createLogger } from '@parcel/tracing/logger';

/**
 * The Step Functions stand-in in this process, untraced and silent, running the fan-out against
 * `apiGatewayUrl` and writing the cache to `table` at `dynamodbEndpoint`; retries do not wait.
 */
export function startQuietStepFunctions(opts: {
  apiGatewayUrl: string;
  dynamodbEndpoint: string;
  table: string;
}): Promise<RunningStepFunctions> {
  return startStepFunctions(
    readStepFunctionsConfig({
      PORT: '0',
      API_GATEWAY_URL: opts.apiGatewayUrl,
      DYNAMODB_ENDPOINT: opts.dynamodbEndpoint,
      PARCEL_TABLE: opts.table,
      TRACING_BACKEND: 'off',
      LOG_LEVEL: 'silent',
    }),
    { host: '127.0.0.1', logger: createLogger({ level: 'silent' }), sleep: async () => {} },
  );
}
