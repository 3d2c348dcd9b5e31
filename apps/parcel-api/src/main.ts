import { readParcelApiConfig } from '@parcel/config';
import { closeOnSignals } from '@parcel/http-service';
import { activeTracing } from '@parcel/tracing';
import { startParcelApi } from './server';

const config = readParcelApiConfig();
const running = await startParcelApi(config);
const { logger } = activeTracing();
logger.info({ url: running.url, port: running.port }, 'parcel-api listening');

closeOnSignals(() => running.close(), logger, 'parcel-api stopping');
