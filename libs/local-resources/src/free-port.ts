import { createServer } from 'node:net';

/**
 * A port that was free a moment ago, for programs that need a concrete number up front (PostgreSQL does
 * not report the port it bound). Another process can take it before the caller binds, so callers retry.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ host, port: 0, exclusive: true }, () => {
      const address = probe.address();
      if (address === null || typeof address === 'string') {
        probe.close();
        reject(new Error('could not read the probe socket address'));
        return;
      }
      probe.close(() => resolve(address.port));
    });
  });
}
