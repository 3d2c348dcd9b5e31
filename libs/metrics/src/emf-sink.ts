import { MetricsLogger, StorageResolution, type Unit } from 'aws-embedded-metrics';
import type { IEnvironment } from 'aws-embedded-metrics/lib/environment/IEnvironment.js';
import type { MetricsContext } from 'aws-embedded-metrics/lib/logger/MetricsContext.js';
import { LogSerializer } from 'aws-embedded-metrics/lib/serializers/LogSerializer.js';

/** A line writer: stdout in a container, where the awslogs driver ships it to CloudWatch Logs. */
export type LineWriter = (line: string) => void;

const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

/** A CloudWatch unit as EMF spells it (`Count`, `Milliseconds`, …). */
export type EmfUnit = `${Unit}`;

/** One EMF document: metrics that share a namespace and a dimension set, and properties beside them. */
export interface EmfRecord {
  namespace: string;
  /** One dimension set (empty: the metrics are published without dimensions). */
  dimensions: Readonly<Record<string, string>>;
  /** Each metric's values: EMF takes at most 100 per metric per line; the library splits beyond that. */
  metrics: readonly { name: string; unit: EmfUnit; values: readonly number[] }[];
  /** Searchable in CloudWatch Logs Insights, not metrics: trace ids, parcel ids and the like. */
  properties?: Readonly<Record<string, unknown>>;
}

export interface EmfSink {
  /** Serialises and writes the record. Never throws, never waits on I/O. */
  emit(record: EmfRecord): void;
}

/**
 * The one EMF writer every service metric goes through, serialised by `aws-embedded-metrics`.
 *
 * The library's own environment detection is bypassed on purpose: outside Lambda/ECS it probes the EC2
 * metadata endpoint and then falls back to a TCP agent on port 25888, neither of which exists locally; on
 * Fargate the awslogs driver already turns stdout into CloudWatch Logs, which extracts EMF from any log
 * group. So every environment gets the same sink: one JSON line on stdout.
 */
export function createEmfSink(serviceName: string, write: LineWriter = stdoutWriter): EmfSink {
  const serializer = new LogSerializer();
  const sink = {
    name: 'StdoutLineSink',
    accept: async (context: MetricsContext) => {
      for (const line of serializer.serialize(context)) write(line);
    },
  };
  const environment: IEnvironment = {
    probe: async () => true,
    getName: () => serviceName,
    getType: () => 'AWS::ECS::Container',
    getLogGroupName: () => serviceName,
    configureContext: () => {},
    getSink: () => sink,
  };
  const resolved = Promise.resolve(environment);
  return {
    emit(record) {
      try {
        const metrics = new MetricsLogger(() => resolved);
        // Exactly the given dimension set: no default ServiceName/ServiceType/LogGroup dimensions.
        metrics.setNamespace(record.namespace).setDimensions({ ...record.dimensions }, false);
        for (const metric of record.metrics) {
          for (const value of metric.values) {
            // The library's enum and EMF's unit names are the same strings (EmfUnit is derived from it).
            metrics.putMetric(metric.name, value, metric.unit as Unit, StorageResolution.Standard);
          }
        }
        for (const [key, value] of Object.entries(record.properties ?? {})) metrics.setProperty(key, value);
        metrics.flush().catch(() => {
          // Serialising a fixed-shape context cannot fail in practice; a metric must never fail a request.
        });
      } catch {
        // As above: a metric is never worth an exception in the request that recorded it.
      }
    },
  };
}
