import { execFile } from 'node:child_process';
import dns from 'node:dns';
import { promisify } from 'node:util';
import { type LoopbackServer, serveOnLoopback } from '@parcel/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installLocalhostResolution, uninstallLocalhostResolution } from './localhost-resolution';

let server: LoopbackServer;
let port: number;

beforeAll(async () => {
  server = await serveOnLoopback((req, res) => res.end(`host=${req.headers.host}`));
  ({ port } = server);
});
afterAll(() => server.close());
afterEach(() => {
  uninstallLocalhostResolution();
});

describe('installLocalhostResolution', () => {
  it('answers *.localhost with loopback in every dns.lookup form', async () => {
    installLocalhostResolution();
    const one = await new Promise<[string, number]>((resolve, reject) =>
      dns.lookup('vendor.localhost', (err, address, family) =>
        err ? reject(err) : resolve([address, family]),
      ),
    );
    expect(one).toEqual(['127.0.0.1', 4]);
    const all = await new Promise((resolve, reject) =>
      dns.lookup('vendor.localhost', { all: true }, (err, addresses) =>
        err ? reject(err) : resolve(addresses),
      ),
    );
    expect(all).toEqual([{ address: '127.0.0.1', family: 4 }]);
    expect(await dns.promises.lookup('vendor.localhost', { family: 6 })).toEqual({
      address: '::1',
      family: 6,
    });
  });

  it('lets http and fetch reach a loopback server by its .localhost name', async () => {
    installLocalhostResolution();
    const res = await fetch(`http://vendor.localhost:${port}/`);
    expect(await res.text()).toBe(`host=vendor.localhost:${port}`);
  });

  it('leaves other names to the system resolver', async () => {
    installLocalhostResolution();
    expect(await dns.promises.lookup('127.0.0.2')).toEqual({ address: '127.0.0.2', family: 4 });
    await expect(dns.promises.lookup('no-such-host.invalid')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('is idempotent and can be undone', async () => {
    const systemLookup = dns.lookup;
    const systemPromisesLookup = dns.promises.lookup;
    const undo = installLocalhostResolution();
    const patched = dns.lookup;
    installLocalhostResolution();
    expect(dns.lookup).toBe(patched); // not wrapped twice
    expect((await dns.promises.lookup('x.localhost')).address).toBe('127.0.0.1');
    undo();
    expect(dns.lookup).toBe(systemLookup);
    expect(dns.promises.lookup).toBe(systemPromisesLookup);
  });
});

describe('@parcel/local-resources/localhost-dns (preload entry)', () => {
  it('installs the resolution in a process started with --import', async () => {
    const script = "require('node:dns').lookup('vendor.localhost', (e, a) => console.log(e ? e.code : a))";
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--import', '@parcel/local-resources/localhost-dns', '-e', script],
      { timeout: 20_000 },
    );
    expect(stdout.trim()).toBe('127.0.0.1');
  });
});
