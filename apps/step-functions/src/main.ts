import { readStepFunctionsConfig } from '@parcel/config';
import { pino } from 'pino';
import { startStepFunctions } from './server';

const config = readStepFunctionsConfig();
const logger = pino({ level: config.logLevel, base: { service: 'step-functions' } });
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
