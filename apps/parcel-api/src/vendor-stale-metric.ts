import type { VendorStatus } from '@parcel/contract';
import { MetricsLogger, StorageResolution, Unit } from 'aws-embedded-metrics';
import type { IEnvironment } from 'aws-embedded-metrics/lib/environment/IEnvironment.js';
import type { MetricsContext } from 'aws-embedded-metrics/lib/logger/MetricsContext.js';
import { LogSerializer } from 'aws-embedded-metrics/lib/serializers/LogSerializer.js';

/**
 * What the `vendor-stale` alarm watches (infra/src/parcel-stack.ts → observability.ts): namespace and metric
 * name exactly, and no dimensions, because an alarm matches a metric's dimension set exactly.
 */
export const VENDOR_STALE_METRIC = { namespace: 'ParcelTracking', metricName: 'vendor_stale' } as const;

export interface VendorStaleEvent {
  parcelId: string;
  /** What the fan-out said of the vendor: why the cached copy was served. */
  vendorStatus: Extract<VendorStatus, 'timeout' | 'error'>;
  /** Age of the copy served. */
  ageSeconds: number;
  /** X-Ray trace id of the request, so a metric spike leads to example traces. */
  traceId?: string;
}

export interface VendorStaleMetric {
  /** Emits one EMF line counting one stale answer. Never throws, never waits on I/O. */
  record(event: VendorStaleEvent): void;
  /** Stale answers recorded since start (for /__tracing-style stats and tests). */
  readonly count: number;
}

/** A line writer: stdout in a container, where the awslogs driver ships it to CloudWatch Logs. */
export type LineWriter = (line: string) => void;

const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

/**
 * The `vendor_stale` counter in CloudWatch Embedded Metric Format, serialised by `aws-embedded-metrics`.
 *
 * The library's own environment detection is bypassed on purpose: outside Lambda/ECS it probes the EC2
 * metadata endpoint and then falls back to a TCP agent on port 25888, neither of which exists locally; on
 * Fargate the awslogs driver already turns stdout into CloudWatch Logs, which extracts EMF from any log
 * group. So every environment gets the same sink: one JSON line on stdout.
 */
export function createVendorStaleMetric(write: LineWriter = stdoutWriter): VendorStaleMetric {
  const serializer = new LogSerializer();
  const sink = {
    name: 'StdoutLineSink',
    accept: async (context: MetricsContext) => {
      for (const line of serializer.serialize(context)) write(line);
    },
  };
  const environment: IEnvironment = {
    probe: async () => true,
    getName: () => 'parcel-api',
    getType: () => 'AWS::ECS::Container',
    getLogGroupName: () => 'parcel-api',
    configureContext: () => {},
    getSink: () => sink,
  };
  const resolved = Promise.resolve(environment);
  let count = 0;
  return {
    record(event) {
      count++;
      const metrics = new MetricsLogger(() => resolved);
      metrics
        .setNamespace(VENDOR_STALE_METRIC.namespace)
        // One empty dimension set: the metric is published without dimensions, as the alarm expects.
        .setDimensions({}, false)
        .putMetric(VENDOR_STALE_METRIC.metricName, 1, Unit.Count, StorageResolution.Standard)
        .setProperty('parcelId', event.parcelId)
        .setProperty('vendorStatus', event.vendorStatus)
        .setProperty('ageSeconds', event.ageSeconds);
      if (event.traceId) metrics.setProperty('traceId', event.traceId);
      metrics.flush().catch(() => {
        // Serialising a fixed-shape context cannot fail in practice; a metric must never fail a request.
      });
    },
    get count() {
      return count;
    },
  };
}
