import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';
import { type ConnectionPool, closeConnectionPool, createConnectionPool } from '@parcel/http-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callIntegration, endToEndHeaders } from './proxy';

/**
 * A target that serves one request per connection with `keep-alive`, then drops the connection when a
 * second request arrives on it: what a pooled socket looks like when the target closed it while idle.
 */
let port: number;
let connections = 0;
const server = createServer((socket: Socket) => {
  connections++;
  let requests = 0;
  socket.on('data', (data) => {
    if (!data.includes('\r\n\r\n')) return;
    requests++;
    if (requests > 1) {
      socket.destroy();
      return;
    }
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
  });
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const call = (pool: ConnectionPool, method = 'GET') =>
  callIntegration(
    {
      url: new URL(`http://127.0.0.1:${port}/x`),
      method,
      headers: {},
      body: Buffer.alloc(0),
      timeoutMs: 2000,
      maxResponseBytes: 1024,
    },
    pool,
  );

describe('callIntegration', () => {
  it('resends an idempotent request once when a pooled connection turns out dead', async () => {
    const pool = createConnectionPool();
    try {
      expect(await call(pool)).toMatchObject({ kind: 'response', status: 200 });
      const before = connections;
      expect(await call(pool)).toMatchObject({ kind: 'response', status: 200 });
      expect(connections).toBe(before + 1);
    } finally {
      closeConnectionPool(pool);
    }
  });

  it('resends on a fresh connection, not on another pooled one that may be just as dead', async () => {
    const pool = createConnectionPool();
    try {
      // Two connections in the pool, both of which the target drops on their next request: the state of a
      // pool after a burst, when the target closes connections that went idle at the same moment.
      const first = await Promise.all([call(pool), call(pool)]);
      expect(first).toMatchObject([{ status: 200 }, { status: 200 }]);
      expect(Object.values(pool.http.freeSockets).flat()).toHaveLength(2);
      expect(await call(pool)).toMatchObject({ kind: 'response', status: 200 });
    } finally {
      closeConnectionPool(pool);
    }
  });

  it('does not resend a non-idempotent request', async () => {
    const pool = createConnectionPool();
    try {
      expect(await call(pool, 'POST')).toMatchObject({ kind: 'response', status: 200 });
      expect(await call(pool, 'POST')).toMatchObject({ kind: 'bad_gateway' });
    } finally {
      closeConnectionPool(pool);
    }
  });
});

describe('endToEndHeaders', () => {
  it('drops hop-by-hop headers and those the Connection header names', () => {
    expect(
      endToEndHeaders({
        connection: 'close, X-Secret-Hop',
        'x-secret-hop': '1',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        upgrade: 'websocket',
        'proxy-authorization': 'Basic x',
        te: 'trailers',
        'x-kept': 'yes',
        authorization: 'AWS4-HMAC-SHA256 …',
      }),
    ).toEqual({ 'x-kept': 'yes', authorization: 'AWS4-HMAC-SHA256 …' });
  });
});
