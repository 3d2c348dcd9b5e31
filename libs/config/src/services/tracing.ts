import { hostPort, int, oneOf, optionalOneOf, optionalStr, str, url } from '../schema';
import { loggingSpec } from './shared';

/** The backends a traced service records with (`libs/tracing`). */
export const TRACING_BACKENDS = ['xray', 'xray-sdk', 'otel', 'off'] as const;
export type TracingBackendName = (typeof TRACING_BACKENDS)[number];

/** Variables every traced service reads (the names the X-Ray SDK and our containers use). */
export const tracingSpec = {
  daemonAddress: hostPort('AWS_XRAY_DAEMON_ADDRESS', {
    description: 'UDP address of the X-Ray daemon (or collector) sidecar',
    default: '127.0.0.1:2000',
  }),
  tracingBackend: oneOf('TRACING_BACKEND', TRACING_BACKENDS, {
    description:
      'tracing backend of every traced piece: xray (the lean recorder, segments to the daemon), xray-sdk (the stock aws-xray-sdk-core/-express path), otel (OpenTelemetry, OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT) or off; the gateway and Step Functions stand-ins record with the lean recorder unless off',
    default: 'xray',
  }),
  otlpEndpoint: url('OTEL_EXPORTER_OTLP_ENDPOINT', {
    description:
      'base URL of the OTLP/HTTP collector sidecar (TRACING_BACKEND=otel); spans go to <url>/v1/traces',
    default: 'http://127.0.0.1:4318',
  }),
  otlpExportDelayMs: int('OTEL_BSP_SCHEDULE_DELAY', {
    description:
      "backend otel: the longest an ended span waits before it is exported (a full batch of 512 goes at once); OTel's own default is 5000",
    default: '1000',
    min: 1,
  }),
  serviceVersion: optionalStr('SERVICE_VERSION', { description: 'version recorded on every segment' }),
  ...loggingSpec,
  traceKeepSlowMs: int('TRACE_KEEP_SLOW_MS', {
    description:
      'keep-on-error: an unsampled request that takes at least this long keeps its segment (trace_kept=latency); 0 disables',
    default: '1000',
    min: 0,
  }),
  region: str('AWS_REGION', { description: 'AWS region of the SDK clients', default: 'us-east-1' }),
};

/**
 * A service's own `<PREFIX>_TRACING_BACKEND`, over TRACING_BACKEND for that service only, so one trace can
 * mix backends (parcel-api on otel, warehouse-query on xray).
 */
export const serviceTracingBackend = (prefix: string, service: string) =>
  optionalOneOf(`${prefix}_TRACING_BACKEND`, TRACING_BACKENDS, {
    description: `tracing backend of ${service} alone (unset: TRACING_BACKEND)`,
  });

/** The backend a service records with: its own override, else TRACING_BACKEND. */
export function effectiveTracingBackend(config: {
  tracingBackend: TracingBackendName;
  serviceTracingBackend: TracingBackendName | undefined;
}): TracingBackendName {
  return config.serviceTracingBackend ?? config.tracingBackend;
}
