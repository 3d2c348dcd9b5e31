import { hostPort, int, oneOf, optionalStr, str } from '../schema';

/** Variables every traced service reads (the names the X-Ray SDK and our containers use). */
export const tracingSpec = {
  daemonAddress: hostPort('AWS_XRAY_DAEMON_ADDRESS', {
    description: 'UDP address of the X-Ray daemon (or collector) sidecar',
    default: '127.0.0.1:2000',
  }),
  tracingBackend: oneOf('TRACING_BACKEND', ['xray', 'xray-sdk', 'off'] as const, {
    description:
      'tracing backend: xray (the lean recorder, segments to the daemon), xray-sdk (the stock aws-xray-sdk-core path) or off',
    default: 'xray',
  }),
  serviceVersion: optionalStr('SERVICE_VERSION', { description: 'version recorded on every segment' }),
  logLevel: oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const, {
    description: 'minimum level of the JSON logs',
    default: 'info',
  }),
  traceKeepSlowMs: int('TRACE_KEEP_SLOW_MS', {
    description:
      'keep-on-error: an unsampled request that takes at least this long keeps its segment (trace_kept=latency); 0 disables',
    default: '1000',
    min: 0,
  }),
  region: str('AWS_REGION', { description: 'AWS region of the SDK clients', default: 'us-east-1' }),
};
