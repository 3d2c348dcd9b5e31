import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeConnectionPool, createConnectionPool, POOL_IDLE_TIMEOUT_MS, sendPooled } from './client';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serveWithKeepAlive(keepAliveTimeoutMs: number): Promise<URL> {
  server = createServer((_req, res) => res.end('ok'));
  server.keepAliveTimeout = keepAliveTimeoutMs;
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}

/** One GET over the pool; resolves with the idle timeout the pool then gives the connection. */
async function idleTimeoutAfterOneRequest(url: URL): Promise<number | undefined> {
  const pool = createConnectionPool();
  try {
    await new Promise<void>((resolve, reject) =>
      sendPooled({ url, method: 'GET', headers: {} }, pool, {
        onResponse: (response) => response.resume().on('end', () => setImmediate(resolve)),
        onError: reject,
      }),
    );
    const idle = Object.values(pool.http.freeSockets).flat();
    expect(idle).toHaveLength(1);
    return idle[0]?.timeout;
  } finally {
    closeConnectionPool(pool);
  }
}

describe('connection pool', () => {
  it('leaves an idle connection before a server that announces its keep-alive does (Node: minus 1 s)', async () => {
    // Node's server announces `Keep-Alive: timeout=3`.
    expect(await idleTimeoutAfterOneRequest(await serveWithKeepAlive(3_000))).toBe(2_000);
  });

  it('keeps an idle connection no longer than its own bound when the server allows more', async () => {
    expect(await idleTimeoutAfterOneRequest(await serveWithKeepAlive(35_000))).toBe(POOL_IDLE_TIMEOUT_MS);
    // Below Node's default server keep-alive, for servers that announce nothing.
    expect(POOL_IDLE_TIMEOUT_MS).toBeLessThan(createServer().keepAliveTimeout);
  });
});
