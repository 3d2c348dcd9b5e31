import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { startRecordingServer } from '@parcel/test-kit';
import { SignatureV4 } from '@smithy/signature-v4';

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Whether the SigV4 signature verified against the shared local credentials. */
  signatureValid: boolean;
}

/**
 * A small real HTTP server standing in for what the gateway answers on `/{stage}/internal/…`, so the
 * emulator's integration is exercised over real sockets. It verifies SigV4 signatures as the gateway does.
 */
export async function startFakeUpstream(opts: {
  stage: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  answer: (route: 'warehouse' | 'vendor', id: string) => Answer;
}) {
  const received: ReceivedRequest[] = [];
  const signer = new SignatureV4({
    service: 'execute-api',
    region: opts.region,
    credentials: opts.credentials,
    sha256: Sha256,
  });
  const { url, close } = await startRecordingServer(async (req) => {
    const path = new URL(req.url, 'http://x');
    const signatureValid = await verify(signer, req.method, path, req.headers);
    received.push({ method: req.method, path: path.pathname, headers: req.headers, signatureValid });
    const m = new RegExp(`^/${opts.stage}/internal/(warehouse|vendor)/([^/]+)$`).exec(path.pathname);
    const answer: Answer = !signatureValid
      ? { status: 403, body: { message: 'signature mismatch' } }
      : m
        ? opts.answer(m[1] as 'warehouse' | 'vendor', decodeURIComponent(m[2] as string))
        : { status: 404, body: { message: 'no route' } };
    return {
      status: answer.status,
      body: answer.body === undefined ? '' : JSON.stringify(answer.body),
      ...(answer.headers ? { headers: answer.headers } : {}),
    };
  });
  return { url, received, close };
}

/** Re-signs the request as received (same date, same signed headers) and compares signatures. */
async function verify(
  signer: SignatureV4,
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
): Promise<boolean> {
  const auth = String(headers.authorization ?? '');
  const m = /SignedHeaders=([^,]+), Signature=([0-9a-f]+)/.exec(auth);
  const amzDate = String(headers['x-amz-date'] ?? '');
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m || !d) return false;
  const signedNames = (m[1] as string).split(';');
  const toSign: Record<string, string> = {};
  for (const name of signedNames) toSign[name] = String(headers[name] ?? '');
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => {
    query[k] = v;
  });
  const signed = await signer.sign(
    { method, protocol: 'http:', hostname: url.hostname, path: url.pathname, query, headers: toSign },
    { signingDate: new Date(`${d[1]}-${d[2]}-${d[3]}T${d[4]}:${d[5]}:${d[6]}Z`) },
  );
  return signed.headers.authorization === auth;
}
