import { readVendorSimConfig } from '@parcel/config';
import { closeOnSignals } from '@parcel/http-service';
import { createLogger } from '@parcel/tracing/logger';
import { startVendorSim } from './server';

const config = readVendorSimConfig();
const logger = createLogger({ service: 'vendor-sim', level: config.logLevel });
const vendor = await startVendorSim({
  port: config.port,
  host: config.bindHost,
  certDir: config.certDir,
  profile: {
    medianMs: config.medianMs,
    slowFraction: config.slowFraction,
    slowMs: config.slowMs,
    errorRate: config.errorRate,
    resetRate: config.resetRate,
  },
  logger,
});
logger.info(
  { url: vendor.url, namedUrl: vendor.namedUrl, caFile: vendor.caFile },
  `vendor-sim listening on ${vendor.namedUrl} (trust ${vendor.caFile})`,
);

closeOnSignals(() => vendor.close(), logger);
