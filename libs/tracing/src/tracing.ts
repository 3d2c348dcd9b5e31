import { createRequire } from 'node:module';
import type { DestinationStream, Logger } from 'pino';
import { createLogger, type LogLevel } from './logger';
import { NoopProvider } from './noop';
import { addAwsPropagation, wrapHttpModulesForPropagation } from './propagation';
import type { AwsClientLike, TracingProvider } from './provider';
import { XrayProvider } from './xray/provider';

export type TracingBackend = 'xray' | 'off';

export interface TracingOptions {
  /** Segment name of the service (e.g. `parcel-api`). */
  serviceName: string;
  backend: TracingBackend;
  /** `host:port` or the parsed form `@parcel/config` produces (AWS_XRAY_DAEMON_ADDRESS). */
  daemonAddress?: string | { host: string; port: number };
  serviceVersion?: string;
  logLevel?: LogLevel;
  /** Where the JSON log goes (default stdout); tests capture it. */
  logDestination?: DestinationStream;
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
    const provider: TracingProvider =
      opts.backend === 'xray'
        ? new XrayProvider(rootLogger, formatAddress(opts.daemonAddress))
        : new NoopProvider();
    provider.instrumentHttpGlobal(nameForHost);
    wrapHttpModulesForPropagation();
    try {
      provider.instrumentPg(createRequire(import.meta.url)('pg'));
    } catch {
      // No pg in this process: nothing to capture.
    }
    processTracing = { provider, rootLogger };
  } else {
    if (opts.daemonAddress !== undefined) {
      processTracing.provider.setDaemonAddress(formatAddress(opts.daemonAddress));
    }
    if (processTracing.provider.backend !== opts.backend) {
      processTracing.rootLogger.warn(
        { requested: opts.backend, active: processTracing.provider.backend },
        'tracing backend already chosen for this process; keeping it',
      );
    }
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

/** Instruments an AWS SDK v3 client: one subsegment per call, trace header on the request. */
export function traceAwsClient<C extends AwsClientLike>(client: C): C {
  const providerMiddleware = activeTracing().provider.instrumentAwsClient(client);
  addAwsPropagation(client, providerMiddleware);
  return client;
}
