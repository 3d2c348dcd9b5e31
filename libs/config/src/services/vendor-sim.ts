import { LOCAL_PORTS } from '../local-defaults';
import { type Env, oneOf, port, readConfig, str } from '../schema';

export const vendorSimSpec = {
  port: port('PORT', {
    description: 'HTTPS port of the vendor simulator',
    default: String(LOCAL_PORTS.vendor),
  }),
  bindHost: str('VENDOR_BIND_HOST', { description: 'interface to listen on', default: '127.0.0.1' }),
  certDir: str('VENDOR_CERT_DIR', {
    description: 'folder holding the local CA and the vendor certificate (created when missing)',
    default: '.local/certs',
  }),
  logLevel: oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const, {
    description: 'minimum level of the JSON logs',
    default: 'info',
  }),
};

export const readVendorSimConfig = (env?: Env) => readConfig('vendor-sim', vendorSimSpec, env);
export type VendorSimConfig = ReturnType<typeof readVendorSimConfig>;
