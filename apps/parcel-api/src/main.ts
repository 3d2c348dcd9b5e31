import { readParcelApiConfig } from '@parcel/config';
import { activeTracing } from '@parcel/tracing';
import { startParcelApi } from './server';

const config = readParcelApiConfig();
const running = await startParcelApi(config);
const { logger } = activeTracing();
logger.info({ url: running.url, port: running.port }, 'parcel-api listening');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'parcel-api stopping');
  await running.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
