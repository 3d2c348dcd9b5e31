import { get } from 'node:http';
import { type LoopbackServer, serveOnLoopback } from '@parcel/test-kit';
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
  // Answers with the Host it was asked for, so a test sees which name reached it.
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await serveOnLoopback((req, res) => res.end(`host=${req.headers.host}`));
  });
  afterAll(() => server.close());

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
    expect(await getWith(`http://vendor.localhost:${server.port}/`)).toBe(
      `host=vendor.localhost:${server.port}`,
    );
  });

  it('leaves every other name to the system resolver', async () => {
    await expect(getWith(`http://no-such-host.invalid:${server.port}/`)).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    expect(await getWith(`http://localhost:${server.port}/`)).toBe(`host=localhost:${server.port}`);
  });
});
