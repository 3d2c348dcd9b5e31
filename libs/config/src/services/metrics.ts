import { int } from '../schema';

/** What a service that prints aggregated EMF metrics reads. */
export const metricsSpec = {
  metricsIntervalSeconds: int('METRICS_INTERVAL_SECONDS', {
    description:
      'how often the aggregated EMF metrics (request latency) are printed, in seconds: one line per interval, not one per request',
    default: '10',
    min: 1,
    max: 3600,
  }),
};
