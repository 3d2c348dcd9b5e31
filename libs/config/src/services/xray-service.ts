import { LOCAL_PORTS } from '../local-defaults';
import { derived, type Env, int, optionalStr, port, readConfig } from '../schema';
import { bindHost, loggingSpec } from './shared';

export const xrayServiceSpec = {
  port: port('PORT', {
    description: 'HTTP port of the X-Ray API and console',
    default: String(LOCAL_PORTS.xrayService),
  }),
  bindHost: bindHost('XRAY_BIND_HOST'),
  maxTraces: int('XRAY_MAX_TRACES', {
    description: 'traces kept before the oldest are evicted',
    default: '100000',
    min: 1,
  }),
  maxBytes: int('XRAY_MAX_BYTES', {
    description: 'bytes of segment documents kept (as received) before the oldest traces are evicted',
    default: String(512 * 1024 * 1024),
    min: 1,
  }),
  hostnames: derived(
    optionalStr('XRAY_HOSTNAMES', {
      description:
        'host names this service answers besides loopback and its bind address (comma-separated; DNS-rebinding guard)',
    }),
    (raw) =>
      (raw ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
  ),
  logDir: optionalStr('LOCAL_LOG_DIR', {
    description: "folder of the stack pieces' `<piece>.log` JSON logs; the console shows each trace's lines",
  }),
  ...loggingSpec,
};

export const readXrayServiceConfig = (env?: Env) => readConfig('xray-service', xrayServiceSpec, env);
export type XrayServiceConfig = ReturnType<typeof readXrayServiceConfig>;
