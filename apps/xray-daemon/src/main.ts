import { readXrayDaemonConfig } from '@parcel/config';
import { closeOnSignals } from '@parcel/http-service';
import { createLogger } from '@parcel/tracing/logger';
import { bufferCapacityBytes, startXrayDaemon } from './daemon';

const config = readXrayDaemonConfig();
const logger = createLogger({ service: 'xray-daemon', level: config.logLevel });
const daemon = await startXrayDaemon(config, { logger });
logger.info(
  {
    address: daemon.address,
    url: daemon.url,
    otlp: daemon.otlpUrl,
    forwardingTo: config.endpoint ?? `AWS X-Ray (${config.region})`,
    bufferCapacityBytes: bufferCapacityBytes(config.bufferMb),
    batchSize: config.batchSize,
    concurrency: config.concurrency,
    uploadClient: config.uploadClient,
  },
  'xray-daemon listening (udp + tcp, otlp/http)',
);

closeOnSignals(() => daemon.close(), logger, 'stopping: draining buffered segments');
