import { LOCAL_PORTS } from '../local-defaults';
import { type Env, type Field, int, port, readConfig, str } from '../schema';
import { loggingSpec } from './shared';

/** A probability between 0 and 1 (the schema has integers only; fault rates need fractions). */
const fraction = (variable: string, opts: { description: string; default: string }): Field<number> => ({
  variable,
  description: opts.description,
  defaultValue: opts.default,
  parse(raw) {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
      throw new Error(`must be a number between 0 and 1, got "${raw}"`);
    }
    return n;
  },
});

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
  ...loggingSpec,
  // The start-up latency profile (PUT /__admin/profile changes it at run time, POST /__admin/reset
  // returns to it).
  medianMs: int('VENDOR_MEDIAN_MS', {
    description: 'median response time of GET /v2/parcels/{id}, in ms (log-normal spread around it)',
    default: '110',
    min: 0,
    max: 60_000,
  }),
  slowFraction: fraction('VENDOR_SLOW_FRACTION', {
    description: 'share of calls that take VENDOR_SLOW_MS instead',
    default: '0',
  }),
  slowMs: int('VENDOR_SLOW_MS', {
    description: 'response time of a slow call, in ms',
    default: '1100',
    min: 0,
    max: 120_000,
  }),
  errorRate: fraction('VENDOR_ERROR_RATE', { description: 'share of calls answered 503', default: '0' }),
  resetRate: fraction('VENDOR_RESET_RATE', {
    description: 'share of calls whose connection is destroyed without an answer',
    default: '0',
  }),
};

export const readVendorSimConfig = (env?: Env) => readConfig('vendor-sim', vendorSimSpec, env);
export type VendorSimConfig = ReturnType<typeof readVendorSimConfig>;
