import { readGatewayConfig } from '@parcel/config';
import { closeOnSignals } from '@parcel/http-service';
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

closeOnSignals(() => gateway.close(), logger);
