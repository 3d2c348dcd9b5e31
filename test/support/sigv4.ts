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

/**
 * Headers of a GET of `path` (its query signed too) at the gateway stage `host`, signed for `execute-api`
 * with `credentials` at `date`: as a caller of the stage's IAM-authorised internal routes signs.
 */
export async function signedStageGet(
  host: string,
  path: string,
  opts: {
    credentials: { accessKeyId: string; secretAccessKey: string };
    region?: string;
    date?: Date;
  },
): Promise<Record<string, string>> {
  const stageSigner = new SignatureV4({
    credentials: opts.credentials,
    region: opts.region ?? 'us-east-1',
    service: 'execute-api',
    sha256: Sha256,
  });
  const [pathname, search] = path.split('?');
  const signed = await stageSigner.sign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: host.split(':')[0] as string,
      path: pathname as string,
      query: Object.fromEntries(new URLSearchParams(search ?? '')),
      headers: { host },
    },
    { signingDate: opts.date ?? new Date() },
  );
  return signed.headers;
}
