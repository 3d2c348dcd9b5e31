import { readStepFunctionsConfig } from '@parcel/config';
import { createLogger } from '@parcel/tracing/logger';
import { startStepFunctions } from './server';

const config = readStepFunctionsConfig();
const logger = createLogger({ service: 'step-functions', level: config.logLevel });
const running = await startStepFunctions(config, { logger });
logger.info(
  { url: running.url, apiGatewayUrl: config.apiGatewayUrl, table: config.tableName, stage: config.stageName },
  'step-functions listening',
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    running.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'close failed');
        process.exit(1);
      },
    );
  });
}
