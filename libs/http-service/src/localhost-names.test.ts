import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLocalhostSubdomain, lookupWithLocalhost } from './localhost-names';

describe('isLocalhostSubdomain (RFC 6761 §6.3)', () => {
  it.each([
    ['vendor.localhost', true],
    ['VENDOR.LOCALHOST.', true],
    ['a.b.localhost', true],
    ['localhost', false],
    ['notlocalhost', false],
    ['vendor.localhost.example.com', false],
  ])('%s → %s', (name, expected) => {
    expect(isLocalhostSubdomain(name)).toBe(expected);
  });
});

describe('lookupWithLocalhost', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => res.end(`host=${req.headers.host}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.close();
  });

  const getWith = (url: string) =>
    new Promise<string>((resolve, reject) => {
      get(url, { lookup: lookupWithLocalhost, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });

  it('connects a *.localhost name to loopback, keeping the name in Host', async () => {
    expect(await getWith(`http://vendor.localhost:${port}/`)).toBe(`host=vendor.localhost:${port}`);
  });

  it('leaves every other name to the system resolver', async () => {
    await expect(getWith(`http://no-such-host.invalid:${port}/`)).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    expect(await getWith(`http://localhost:${port}/`)).toBe(`host=localhost:${port}`);
  });
});
