import { readWarehouseQueryConfig } from '@parcel/config';
import { closeOnSignals } from '@parcel/http-service';
import { activeTracing } from '@parcel/tracing';
import { startWarehouseQuery } from './server';

const config = readWarehouseQueryConfig();
const running = await startWarehouseQuery(config);
const { logger } = activeTracing();
logger.info({ url: running.url, port: running.port }, 'warehouse-query listening');

closeOnSignals(() => running.close(), logger, 'warehouse-query stopping');
