import { readWarehouseQueryConfig } from '@parcel/config';
import { activeTracing } from '@parcel/tracing';
import { startWarehouseQuery } from './server';

const config = readWarehouseQueryConfig();
const running = await startWarehouseQuery(config);
const { logger } = activeTracing();
logger.info({ url: running.url, port: running.port }, 'warehouse-query listening');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'warehouse-query stopping');
  await running.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
