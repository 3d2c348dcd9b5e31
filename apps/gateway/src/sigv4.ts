import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  GATEWAY_ERRORS,
  type GatewayError,
  incompleteSignature,
  signatureExpired,
} from './gateway-responses';

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignedRequest {
  method: string;
  /** The path exactly as it arrived on the wire (without the query string). */
  path: string;
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface VerifyOptions {
  credentials: SigV4Credentials;
  region: string;
  service?: string;
  /** API Gateway (like every SigV4 service) refuses signatures more than 5 minutes off its clock. */
  maxSkewMs?: number;
  now?: Date;
}

export type VerifyResult = { ok: true; accessKeyId: string } | { ok: false; error: GatewayError };

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** `true` when the request carries any SigV4 material (header or presigned query). */
export function hasSignature(headers: IncomingHttpHeaders, query: Record<string, unknown>): boolean {
  return headers.authorization !== undefined || query['X-Amz-Signature'] !== undefined;
}

/**
 * Verifies a SigV4 `Authorization` header by signing the same canonical request with the configured
 * secret (the real signer, so both sides share one definition of "canonical") and comparing.
 */
export async function verifySigV4(request: SignedRequest, options: VerifyOptions): Promise<VerifyResult> {
  const service = options.service ?? 'execute-api';
  const raw = request.headers.authorization;
  if (raw === undefined || raw.length > 4096) {
    return { ok: false, error: GATEWAY_ERRORS.missingAuthenticationToken };
  }
  const parsed = parseAuthorization(raw);
  if ('error' in parsed) return { ok: false, error: parsed.error };
  const { credential, signedHeaders, signature } = parsed;

  const amzDate = headerValue(request.headers['x-amz-date']);
  if (amzDate === undefined) {
    return {
      ok: false,
      error: incompleteSignature(
        `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${truncate(raw)}`,
      ),
    };
  }
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate) {
    return {
      ok: false,
      error: incompleteSignature(`Date must be in ISO-8601 'basic format'. Got '${truncate(amzDate)}'.`),
    };
  }
  const now = options.now ?? new Date();
  const maxSkew = options.maxSkewMs ?? 5 * 60_000;
  if (Math.abs(now.getTime() - signingDate.getTime()) > maxSkew) {
    return { ok: false, error: expiredMessage(signingDate, now, maxSkew) };
  }

  const [accessKeyId, shortDate, region, scopeService, terminator, ...rest] = credential.split('/');
  if (
    !accessKeyId ||
    !shortDate ||
    !region ||
    !scopeService ||
    terminator !== 'aws4_request' ||
    rest.length
  ) {
    return {
      ok: false,
      error: incompleteSignature(
        `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${truncate(credential)}'`,
      ),
    };
  }
  if (accessKeyId !== options.credentials.accessKeyId) {
    return { ok: false, error: GATEWAY_ERRORS.unrecognizedClient };
  }
  if (shortDate !== amzDate.slice(0, 8) || region !== options.region || scopeService !== service) {
    return { ok: false, error: GATEWAY_ERRORS.invalidSignature };
  }
  if (!signedHeaders.includes('host')) {
    return { ok: false, error: GATEWAY_ERRORS.invalidSignature };
  }

  // A signed payload hash must be the hash of the body that actually arrived.
  const declaredHash = headerValue(request.headers['x-amz-content-sha256']);
  if (declaredHash !== undefined && declaredHash !== 'UNSIGNED-PAYLOAD') {
    const actual = request.body.length
      ? createHash('sha256').update(request.body).digest('hex')
      : EMPTY_SHA256;
    if (declaredHash !== actual) return { ok: false, error: GATEWAY_ERRORS.invalidSignature };
  }

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request.headers[name]);
    if (value === undefined) return { ok: false, error: GATEWAY_ERRORS.invalidSignature };
    headers[name] = value;
  }
  const sessionToken = headers['x-amz-security-token'];
  const signer = new SignatureV4({
    credentials: { ...options.credentials, ...(sessionToken ? { sessionToken } : {}) },
    region,
    service,
    sha256: Sha256,
    applyChecksum: signedHeaders.includes('x-amz-content-sha256'),
  });
  let expected: string | undefined;
  try {
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: 'https:',
        hostname: headers.host ?? '',
        path: request.path,
        query: request.query,
        headers,
        body: request.body.length ? request.body : undefined,
      },
      { signingDate, signableHeaders: new Set(signedHeaders) },
    );
    expected = headerValue(signed.headers.authorization ?? signed.headers.Authorization);
  } catch {
    return { ok: false, error: GATEWAY_ERRORS.invalidSignature };
  }
  const expectedParts = expected ? parseAuthorization(expected) : undefined;
  if (
    !expectedParts ||
    'error' in expectedParts ||
    expectedParts.signedHeaders.join(';') !== signedHeaders.join(';') ||
    !constantTimeEqual(expectedParts.signature, signature)
  ) {
    return { ok: false, error: GATEWAY_ERRORS.invalidSignature };
  }
  return { ok: true, accessKeyId };
}

type ParsedAuthorization =
  | { credential: string; signedHeaders: string[]; signature: string }
  | { error: GatewayError };

function parseAuthorization(raw: string): ParsedAuthorization {
  const space = raw.indexOf(' ');
  const algorithm = space < 0 ? raw : raw.slice(0, space);
  if (algorithm !== ALGORITHM) {
    // API Gateway answers a non-SigV4 Authorization header on an IAM method this way.
    return {
      error: incompleteSignature(
        `Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${truncate(raw)}`,
      ),
    };
  }
  const fields = new Map<string, string>();
  for (const part of raw.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((k) => !fields.get(k));
  if (missing.length) {
    return {
      error: incompleteSignature(
        `${missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' ')} Authorization=${truncate(raw)}`,
      ),
    };
  }
  const signedHeaders = (fields.get('SignedHeaders') as string).split(';');
  if (signedHeaders.some((h) => !/^[a-z0-9-]+$/.test(h))) {
    return { error: incompleteSignature(`Invalid SignedHeaders. Authorization=${truncate(raw)}`) };
  }
  return {
    credential: fields.get('Credential') as string,
    signedHeaders,
    signature: fields.get('Signature') as string,
  };
}

function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** API Gateway's wording: "Signature expired: {date} is now earlier than {limit} ({now} - 5 min.)". */
function expiredMessage(signingDate: Date, now: Date, maxSkewMs: number): GatewayError {
  const minutes = Math.round(maxSkewMs / 60_000);
  if (signingDate.getTime() < now.getTime()) {
    const limit = new Date(now.getTime() - maxSkewMs);
    return signatureExpired(
      `Signature expired: ${formatAmzDate(signingDate)} is now earlier than ${formatAmzDate(limit)} (${formatAmzDate(now)} - ${minutes} min.)`,
    );
  }
  const limit = new Date(now.getTime() + maxSkewMs);
  return signatureExpired(
    `Signature not yet current: ${formatAmzDate(signingDate)} is still later than ${formatAmzDate(limit)} (${formatAmzDate(now)} + ${minutes} min.)`,
  );
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function truncate(value: string): string {
  return value.length > 256 ? `${value.slice(0, 256)}…` : value;
}

function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
