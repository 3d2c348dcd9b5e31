import { Sha256 } from '@aws-crypto/sha256-js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@parcel/config';
import { SignatureV4 } from '@smithy/signature-v4';

const signer = new SignatureV4({
  service: 'execute-api',
  region: LOCAL_REGION,
  credentials: LOCAL_CREDENTIALS,
  sha256: Sha256,
});

/** Headers of a GET signed for `execute-api` with the stack's local credentials (as the state machine signs). */
export async function signedHeaders(
  url: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signed = await signer.sign({
    method: 'GET',
    protocol: u.protocol,
    hostname: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    path: u.pathname,
    headers: { host: u.host, ...extra },
  });
  return signed.headers;
}
