import { readStepFunctionsConfig } from '@parcel/config';
import { closeOnSignals } from '@parcel/http-service';
import { createLogger } from '@parcel/tracing/logger';
import { startStepFunctions } from './server';

const config = readStepFunctionsConfig();
const logger = createLogger({ service: 'step-functions', level: config.logLevel });
const running = await startStepFunctions(config, { logger });
logger.info(
  { url: running.url, apiGatewayUrl: config.apiGatewayUrl, table: config.tableName, stage: config.stageName },
  'step-functions listening',
);

closeOnSignals(() => running.close(), logger);
