import { readXrayServiceConfig } from '@parcel/config';
import { closeOnSignals } from '@parcel/http-service';
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

closeOnSignals(() => service.close(), logger);
