import type { DestinationStream, Logger } from 'pino';
import { NoopProvider } from './backends/off';
import { OtelProvider } from './backends/otel/provider';
import { RecorderProvider } from './backends/recorder/provider';
import { XrayProvider } from './backends/xray-sdk/provider';
import { sdkSampler } from './backends/xray-sdk/sdk';
import { createLogger, type LogLevel } from './logger';
import { addAwsPropagation, wrapHttpModulesForPropagation } from './propagation';
import type { AwsClientLike, TracingProvider } from './span';
import { logKeepStatsPeriodically } from './stats';

export const DEFAULT_KEEP_SLOW_MS = 1000;
const DEFAULT_EXPORT_DELAY_MS = 1000;

/**
 * `xray` (default): the lean recorder, segments to the X-Ray daemon; `xray-sdk`: the stock
 * aws-xray-sdk-core/-express path; `otel`: OpenTelemetry, OTLP/HTTP to a collector; `off`: nothing
 * recorded, the header carried on.
 */
export type TracingBackend = TracingProvider['backend'];

export interface TracingOptions {
  /** Segment name of the service (e.g. `parcel-api`). */
  serviceName: string;
  backend: TracingBackend;
  /** `host:port` or the parsed form `@parcel/config` produces (AWS_XRAY_DAEMON_ADDRESS). */
  daemonAddress?: string | { host: string; port: number };
  serviceVersion?: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT (backend `otel`): the collector's base URL (default http://127.0.0.1:4318). */
  otlpEndpoint?: string;
  /** OTEL_BSP_SCHEDULE_DELAY (backend `otel`): how long an ended span may wait for its batch (default 1000). */
  otlpExportDelayMs?: number;
  logLevel?: LogLevel;
  /** Where the JSON log goes (default stdout); tests capture it. */
  logDestination?: DestinationStream;
  /** TRACE_KEEP_SLOW_MS: an unsampled request this slow is kept (default 1000; 0: never for latency). */
  keepSlowMs?: number;
  /**
   * Record unsampled requests in memory so a failure or a slow one is kept (default true). Process-wide;
   * the benchmark turns it off to measure what it costs.
   */
  recordUnsampled?: boolean;
}

export interface Tracing {
  readonly backend: TracingBackend;
  readonly provider: TracingProvider;
  /** The service's logger: JSON, every line in a request carries `trace_id`. */
  readonly logger: Logger;
  readonly serviceName: string;
  readonly serviceVersion?: string;
}

interface ProcessTracing {
  provider: TracingProvider;
  rootLogger: Logger;
}

let processTracing: ProcessTracing | undefined;
let active: Tracing | undefined;
const remoteNames = new Map<string, string>();

function formatAddress(address: TracingOptions['daemonAddress']): string {
  if (address === undefined) return process.env.AWS_XRAY_DAEMON_ADDRESS ?? '127.0.0.1:2000';
  if (typeof address === 'string') return address;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;

/** Subsegment name of an outbound HTTP call: a registered name, else the host (with its port on loopback). */
export function nameForHost(host: string, port: string | undefined): string {
  const registered = remoteNames.get(port ? `${host}:${port}` : host) ?? remoteNames.get(host);
  if (registered) return registered;
  return LOOPBACK.test(host) && port ? `${host}:${port}` : host;
}

/** Names the subsegments of HTTP calls to `host` or `host:port` (e.g. a stand-in reached on loopback). */
export function nameRemoteHost(hostOrHostPort: string, name: string): void {
  remoteNames.set(hostOrHostPort, name);
}

/**
 * Sets tracing up once per process: picks the backend, captures `http`/`https` and `pg` globally and
 * creates the logger. Later calls (another service in the same process, as in tests) reuse the backend and
 * return a logger for their own service name.
 */
export function initTracing(opts: TracingOptions): Tracing {
  if (!processTracing) {
    const rootLogger = createLogger({
      ...(opts.logLevel ? { level: opts.logLevel } : {}),
      ...(opts.logDestination ? { destination: opts.logDestination } : {}),
    });
    const address = formatAddress(opts.daemonAddress);
    const provider: TracingProvider =
      opts.backend === 'xray'
        ? new RecorderProvider(rootLogger, {
            daemonAddress: address,
            keepSlowMs: opts.keepSlowMs ?? DEFAULT_KEEP_SLOW_MS,
            recordUnsampled: opts.recordUnsampled ?? true,
            sampler: () => sdkSampler(rootLogger, address),
          })
        : opts.backend === 'xray-sdk'
          ? new XrayProvider(rootLogger, {
              daemonAddress: address,
              keepSlowMs: opts.keepSlowMs ?? DEFAULT_KEEP_SLOW_MS,
              recordUnsampled: opts.recordUnsampled ?? true,
            })
          : opts.backend === 'otel'
            ? new OtelProvider(rootLogger, {
                serviceName: opts.serviceName,
                daemonAddress: address,
                otlpEndpoint:
                  opts.otlpEndpoint ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318',
                exportDelayMs: opts.otlpExportDelayMs ?? DEFAULT_EXPORT_DELAY_MS,
                keepSlowMs: opts.keepSlowMs ?? DEFAULT_KEEP_SLOW_MS,
                recordUnsampled: opts.recordUnsampled ?? true,
              })
            : new NoopProvider();
    provider.instrumentHttpGlobal(nameForHost);
    wrapHttpModulesForPropagation();
    processTracing = { provider, rootLogger };
  } else {
    processTracing.provider.configure({
      ...(opts.daemonAddress !== undefined ? { daemonAddress: formatAddress(opts.daemonAddress) } : {}),
      ...(opts.keepSlowMs !== undefined ? { keepSlowMs: opts.keepSlowMs } : {}),
      ...(opts.recordUnsampled !== undefined ? { recordUnsampled: opts.recordUnsampled } : {}),
    });
    if (processTracing.provider.backend !== opts.backend) {
      processTracing.rootLogger.warn(
        { requested: opts.backend, active: processTracing.provider.backend },
        'tracing backend already chosen for this process; keeping it',
      );
    }
  }
  if (processTracing.provider.keepsStats) {
    logKeepStatsPeriodically(
      opts.serviceName,
      processTracing.rootLogger.child({ service: opts.serviceName }),
    );
  }
  active = {
    backend: processTracing.provider.backend,
    provider: processTracing.provider,
    logger: processTracing.rootLogger.child({ service: opts.serviceName }),
    serviceName: opts.serviceName,
    ...(opts.serviceVersion ? { serviceVersion: opts.serviceVersion } : {}),
  };
  return active;
}

/** The tracing set up by the latest `initTracing` (a no-op one if none was). */
export function activeTracing(): Tracing {
  return active ?? initTracing({ serviceName: 'unnamed', backend: 'off' });
}

/**
 * Instruments node-postgres: an `sql` subsegment per query. Pass the `pg` module the service itself
 * imports: in a bundled image that copy is the only one (resolving `pg` at run time would find none, or
 * another instance the service never queries through). `driverVersion` (its package.json's `version`,
 * which a bundle carries only if the service imports it) becomes the subsegments' `driver_version`.
 * Idempotent.
 */
export function tracePg<M>(pgModule: M, driverVersion?: string): M {
  activeTracing().provider.instrumentPg(pgModule, driverVersion);
  return pgModule;
}

/** Instruments an AWS SDK v3 client: one subsegment per call, trace header on the request. */
export function traceAwsClient<C extends AwsClientLike>(client: C): C {
  const providerMiddleware = activeTracing().provider.instrumentAwsClient(client);
  addAwsPropagation(client, providerMiddleware);
  return client;
}
