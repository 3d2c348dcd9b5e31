import { readXrayServiceConfig } from '@parcel/config';
import { createLogger } from '@parcel/tracing/logger';
import { xrayFilterCompiler } from './filter-compiler';
import { startXrayService } from './server';

const config = readXrayServiceConfig();
const logger = createLogger({ service: 'xray-service', level: config.logLevel });
const service = await startXrayService(config, {
  logger,
  filterCompiler: xrayFilterCompiler(),
  ...(config.logDir ? { logDir: config.logDir } : {}),
});
logger.info({ url: service.url, maxTraces: config.maxTraces }, 'xray-service listening');

const stop = async (signal: string) => {
  logger.info({ signal }, 'stopping');
  await service.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
