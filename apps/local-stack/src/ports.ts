import { createServer } from 'node:net';
import { LOCAL_VENDOR_HOST } from '@parcel/config';
import { findFreePort } from '@parcel/local-resources';

/** Thrown when a port the stack needs is taken; names the variable that moves it. */
export class PortTakenError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly variable: string,
  ) {
    super(`port ${port} on ${host} is already in use; set ${variable} to move it`);
    this.name = 'PortTakenError';
  }
}

/** Resolves when `port` can be bound on `host`, rejects with PortTakenError otherwise. */
export function assertPortFree(host: string, port: number, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES')
        reject(new PortTakenError(host, port, variable));
      else reject(err);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * The stack's address variables with every piece on its own free loopback port, so a stack started with
 * them (by a test or a benchmark) collides with no other on the machine, a developer's included.
 */
export async function freeStackAddresses(): Promise<Record<string, string>> {
  const [gw, api, wq, sfn, ddb, xray, daemon, otlp, vendor, pg] = await Promise.all(
    Array.from({ length: 10 }, () => findFreePort()),
  );
  return {
    API_GATEWAY_URL: `http://127.0.0.1:${gw}`,
    PARCEL_API_URL: `http://127.0.0.1:${api}`,
    WAREHOUSE_QUERY_URL: `http://127.0.0.1:${wq}`,
    SFN_ENDPOINT: `http://127.0.0.1:${sfn}`,
    DYNAMODB_ENDPOINT: `http://127.0.0.1:${ddb}`,
    XRAY_ENDPOINT: `http://127.0.0.1:${xray}`,
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon}`,
    OTLP_RECEIVER_ADDRESS: `127.0.0.1:${otlp}`,
    VENDOR_BASE_URL: `https://${LOCAL_VENDOR_HOST}:${vendor}`,
    POSTGRES_PORT: String(pg),
  };
}
