import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalCertificates, type LocalCertificates } from './certificates';

let dir: string;
let certs: LocalCertificates;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parcel-certs-'));
  certs = await ensureLocalCertificates(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function get(
  port: number,
  opts: { ca?: string; servername?: string; host?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: opts.host ?? '127.0.0.1',
        port,
        path: '/',
        ca: opts.ca,
        servername: opts.servername,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function serve(c: LocalCertificates): Promise<Server> {
  const server = createServer({ cert: c.certPem, key: c.keyPem }, (_req, res) => res.end('hello over tls'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

describe('ensureLocalCertificates', () => {
  it('issues a CA-signed leaf for vendor.localhost, localhost and 127.0.0.1 (not self-signed)', () => {
    const ca = new X509Certificate(certs.caPem);
    const leaf = new X509Certificate(certs.certPem);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.checkIssued(leaf)).toBe(false);
    expect(leaf.subjectAltName).toBe('DNS:vendor.localhost, DNS:localhost, IP Address:127.0.0.1');
    expect(leaf.checkHost('vendor.localhost')).toBe('vendor.localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkHost('example.com')).toBeUndefined();
    expect(new Date(leaf.validTo).getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
  });

  it('returns file paths whose contents match the PEMs', async () => {
    expect(await readFile(certs.caFile, 'utf8')).toBe(certs.caPem);
    expect(await readFile(certs.certFile, 'utf8')).toBe(certs.certPem);
    expect(await readFile(certs.keyFile, 'utf8')).toBe(certs.keyPem);
  });

  it('a client trusting only the CA connects over real TLS; one without it is refused', async () => {
    const server = await serve(certs);
    const { port } = server.address() as AddressInfo;
    try {
      await expect(get(port, { ca: certs.caPem, servername: 'vendor.localhost' })).resolves.toEqual({
        status: 200,
        body: 'hello over tls',
      });
      await expect(get(port, { ca: certs.caPem })).resolves.toMatchObject({ status: 200 }); // IP SAN
      await expect(get(port, { servername: 'vendor.localhost' })).rejects.toMatchObject({
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
      // Trusting the CA does not make the certificate good for a name it was not issued for.
      await expect(get(port, { ca: certs.caPem, servername: 'example.com' })).rejects.toMatchObject({
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    } finally {
      server.close();
    }
  });

  it('reuses the CA and leaf on a second call', async () => {
    const again = await ensureLocalCertificates(dir);
    expect(again.caPem).toBe(certs.caPem);
    expect(again.certPem).toBe(certs.certPem);
  });

  it('re-issues the leaf (same CA) when the hosts change or the leaf is missing or broken', async () => {
    const other = await mkdtemp(join(tmpdir(), 'parcel-certs-'));
    try {
      const first = await ensureLocalCertificates(other);
      const wider = await ensureLocalCertificates(other, [
        'vendor.localhost',
        'localhost',
        '127.0.0.1',
        '::1',
      ]);
      expect(wider.caPem).toBe(first.caPem);
      expect(wider.certPem).not.toBe(first.certPem);
      expect(new X509Certificate(wider.certPem).checkIP('::1')).toBe('::1');

      await writeFile(wider.certFile, 'not a certificate');
      const repaired = await ensureLocalCertificates(other, [
        'vendor.localhost',
        'localhost',
        '127.0.0.1',
        '::1',
      ]);
      expect(repaired.caPem).toBe(first.caPem);
      expect(new X509Certificate(repaired.certPem).checkIssued(new X509Certificate(first.caPem))).toBe(true);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('concurrent callers on one folder end up with one CA', async () => {
    const shared = await mkdtemp(join(tmpdir(), 'parcel-certs-'));
    try {
      const results = await Promise.all([1, 2, 3].map(() => ensureLocalCertificates(shared)));
      expect(new Set(results.map((r) => r.caPem)).size).toBe(1);
      expect(new Set(results.map((r) => r.certPem)).size).toBe(1);
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });

  it('replaces a leaf signed by another CA', async () => {
    const a = await mkdtemp(join(tmpdir(), 'parcel-certs-'));
    try {
      const foreign = await ensureLocalCertificates(a);
      await writeFile(join(dir, 'server.pem'), foreign.certPem);
      await writeFile(join(dir, 'server-key.pem'), foreign.keyPem);
      const fixed = await ensureLocalCertificates(dir);
      expect(fixed.caPem).toBe(certs.caPem);
      expect(new X509Certificate(fixed.certPem).checkIssued(new X509Certificate(certs.caPem))).toBe(true);
    } finally {
      await rm(a, { recursive: true, force: true });
    }
  });
});
