import type { AddressInfo, Server } from 'node:net';

/**
 * Binds `server` to `host:port` (port 0: a free one) and resolves the bound port; a bind error
 * (EADDRINUSE, EACCES) rejects instead of being emitted with nobody listening.
 */
export function bind(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The host part of a URL that reaches a server bound to `host`: a wildcard bind on loopback, IPv6 bracketed. */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
