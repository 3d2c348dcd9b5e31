import { readGatewayConfig } from '@parcel/config';
import { createLogger } from '@parcel/tracing/logger';
import { startGateway } from './gateway';

const config = readGatewayConfig();
const logger = createLogger({ service: 'gateway', level: config.logLevel });
const gateway = await startGateway(config, { logger });
logger.info(
  {
    url: gateway.url,
    stage: `${config.apiId}/${config.stageName}`,
    parcelApi: config.parcelApiUrl,
    warehouseQuery: config.warehouseQueryUrl,
    sampling: gateway.sampler.source,
  },
  'API Gateway stage listening',
);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  await gateway.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
