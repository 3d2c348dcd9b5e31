/**
 * parcel-api in a process of its own for the overhead benchmark: the real service (Express 5 + DynamoDB
 * GetItem on dynalite), tracing chosen by BENCH_BACKEND. Answers `cpu` with its process.cpuUsage().
 */
import { readParcelApiConfig } from '@parcel/config';
import { startParcelApi } from '@parcel/parcel-api';
import { initTracing, keepStatsFor, type TracingBackend } from '@parcel/tracing';

const backend = (process.env.BENCH_BACKEND ?? 'off') as TracingBackend;
// Chosen before the service starts: tracing is set up once per process, the service's own call reuses it.
initTracing({
  serviceName: 'parcel-api',
  backend,
  ...(process.env.AWS_XRAY_DAEMON_ADDRESS ? { daemonAddress: process.env.AWS_XRAY_DAEMON_ADDRESS } : {}),
  logLevel: 'error',
});
const config = readParcelApiConfig({
  ...process.env,
  PORT: '0',
  TRACING_BACKEND: backend,
  CACHE_TTL_SECONDS: '864000',
  LOG_LEVEL: 'error',
});
const api = await startParcelApi(config, { host: '127.0.0.1', port: 0 });
process.on('message', async (m: unknown) => {
  if (m === 'cpu') {
    process.send?.({ cpu: process.cpuUsage(), stats: keepStatsFor('parcel-api').snapshot() });
  } else if (m === 'stop') {
    await api.close();
    process.exit(0);
  }
});
process.send?.({ port: api.port, node: process.version });
