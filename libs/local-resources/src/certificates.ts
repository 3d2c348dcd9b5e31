import { generateKeyPair, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rmdir, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LOCAL_VENDOR_HOST } from '@parcel/config';
import forge from 'node-forge';

export const DEFAULT_CERT_HOSTS: readonly string[] = [LOCAL_VENDOR_HOST, 'localhost', '127.0.0.1'];

export interface LocalCertificates {
  /** The local CA certificate: what clients trust (`NODE_EXTRA_CA_CERTS` or an explicit `ca`). */
  caFile: string;
  /** The server certificate, signed by the CA, for `hosts`. */
  certFile: string;
  keyFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

const FILES = {
  caCert: 'ca.pem',
  caKey: 'ca-key.pem',
  cert: 'server.pem',
  key: 'server-key.pem',
} as const;

const DAY_MS = 86_400_000;
const CA_VALIDITY_DAYS = 3650;
const LEAF_VALIDITY_DAYS = 397; // the longest a public CA may issue; keeps the local leaf realistic
const RENEW_BEFORE_MS = 7 * DAY_MS;
const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * A local certificate authority, created once and kept in `dir`, and a server certificate it signs for
 * `hosts` (DNS names and IP addresses as subject alternative names). The leaf is re-issued when missing,
 * close to expiry, not signed by the CA in `dir`, or issued for other hosts. Clients verify it normally
 * by trusting the CA; nothing here turns verification off.
 */
export async function ensureLocalCertificates(
  dir: string,
  hosts: readonly string[] = DEFAULT_CERT_HOSTS,
): Promise<LocalCertificates> {
  if (hosts.length === 0) throw new Error('ensureLocalCertificates needs at least one host');
  await mkdir(dir, { recursive: true });
  // Several local processes may start at once with the same folder: only one may create the CA.
  return withDirLock(dir, async () => {
    const paths = {
      caFile: join(dir, FILES.caCert),
      caKeyFile: join(dir, FILES.caKey),
      certFile: join(dir, FILES.cert),
      keyFile: join(dir, FILES.key),
    };
    let ca = await loadPair(paths.caFile, paths.caKeyFile);
    if (!ca || !isUsableCa(ca.cert)) {
      ca = await createCa();
      await writePem(paths.caKeyFile, forge.pki.privateKeyToPem(ca.key), 0o600);
      await writePem(paths.caFile, forge.pki.certificateToPem(ca.cert), 0o644);
    }
    let leaf = await loadPair(paths.certFile, paths.keyFile);
    if (!leaf || !isUsableLeaf(leaf.cert, ca.cert, hosts)) {
      leaf = await createLeaf(ca, hosts);
      await writePem(paths.keyFile, forge.pki.privateKeyToPem(leaf.key), 0o600);
      await writePem(paths.certFile, forge.pki.certificateToPem(leaf.cert), 0o644);
    }
    const [caPem, certPem, keyPem] = await Promise.all([
      readFile(paths.caFile, 'utf8'),
      readFile(paths.certFile, 'utf8'),
      readFile(paths.keyFile, 'utf8'),
    ]);
    return { caFile: paths.caFile, certFile: paths.certFile, keyFile: paths.keyFile, caPem, certPem, keyPem };
  });
}

interface Pair {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

async function loadPair(certFile: string, keyFile: string): Promise<Pair | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    const cert = forge.pki.certificateFromPem(certPem);
    const key = forge.pki.privateKeyFromPem(keyPem);
    const publicKey = cert.publicKey as forge.pki.rsa.PublicKey;
    // A key file that does not belong to the certificate is as good as missing.
    if (publicKey.n.compareTo(key.n) !== 0) return undefined;
    return { cert, key };
  } catch {
    return undefined;
  }
}

function isCurrent(cert: forge.pki.Certificate): boolean {
  const now = Date.now();
  return cert.validity.notBefore.getTime() <= now && cert.validity.notAfter.getTime() - RENEW_BEFORE_MS > now;
}

function isUsableCa(cert: forge.pki.Certificate): boolean {
  const constraints = cert.getExtension('basicConstraints') as { cA?: boolean } | null;
  return isCurrent(cert) && constraints?.cA === true;
}

function isUsableLeaf(
  leaf: forge.pki.Certificate,
  ca: forge.pki.Certificate,
  hosts: readonly string[],
): boolean {
  if (!isCurrent(leaf)) return false;
  try {
    if (!ca.verify(leaf)) return false;
  } catch {
    return false;
  }
  const wanted = new Set(hosts.map(sanKey));
  const present = new Set(subjectAltNames(leaf).map((n) => (n.type === 7 ? `ip:${n.ip}` : `dns:${n.value}`)));
  return wanted.size === present.size && [...wanted].every((h) => present.has(h));
}

function sanKey(host: string): string {
  return isIP(host) ? `ip:${host}` : `dns:${host.toLowerCase()}`;
}

interface AltName {
  type: number;
  value?: string;
  ip?: string;
}

function subjectAltNames(cert: forge.pki.Certificate): AltName[] {
  const ext = cert.getExtension('subjectAltName') as { altNames?: AltName[] } | null;
  return ext?.altNames ?? [];
}

async function newRsaKey(): Promise<forge.pki.rsa.PrivateKey> {
  // Node's native generator: forge's pure-JS RSA key generation takes seconds on a busy machine.
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return forge.pki.privateKeyFromPem(privateKey);
}

function serialNumber(): string {
  // Positive (high bit clear) 128-bit serial, as RFC 5280 asks.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}

function publicKeyOf(key: forge.pki.rsa.PrivateKey): forge.pki.rsa.PublicKey {
  return forge.pki.setRsaPublicKey(key.n, key.e);
}

/** A fresh key and its unsigned certificate, valid from a minute ago (clock skew) for `days` days. */
async function newCertificate(days: number): Promise<Pair> {
  const key = await newRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKeyOf(key);
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * DAY_MS);
  return { cert, key };
}

async function createCa(): Promise<Pair> {
  const { cert, key } = await newCertificate(CA_VALIDITY_DAYS);
  const subject = [
    { name: 'commonName', value: 'Parcel Tracing Local CA' },
    { name: 'organizationName', value: 'parcel-tracing (local development only)' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { cert, key };
}

async function createLeaf(ca: Pair, hosts: readonly string[]): Promise<Pair> {
  const { cert, key } = await newCertificate(LEAF_VALIDITY_DAYS);
  cert.setSubject([{ name: 'commonName', value: hosts[0] as string }]);
  cert.setIssuer(ca.cert.subject.attributes);
  const caKeyId = ca.cert.generateSubjectKeyIdentifier().getBytes();
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h.toLowerCase() })),
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caKeyId },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  return { cert, key };
}

/** Writes via a temp file and rename, so a reader never sees half a PEM. */
async function writePem(file: string, pem: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, pem, { mode });
  await rename(tmp, file);
}

const LOCK_STALE_MS = 30_000;

/** A lock folder (mkdir is atomic) so concurrent processes do not issue two different CAs. */
async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      // A holder that crashed leaves the folder behind; generating keys never takes this long.
      if (age > LOCK_STALE_MS) await rmdir(lock).catch(() => {});
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rmdir(lock).catch(() => {});
  }
}
