import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Provider } from '@smithy/types';

/** The paths the X-Ray SDKs call on the daemon's TCP address, passed on to the X-Ray API. */
export const PROXIED_PATHS = new Set(['/GetSamplingRules', '/SamplingTargets']);

export interface ProxyTarget {
  /** Base URL of the X-Ray API, e.g. `http://127.0.0.1:2020` or `https://xray.eu-west-1.amazonaws.com`. */
  baseUrl: string;
  /** Present when requests must be SigV4-signed (real AWS). */
  signing?: { region: string; credentials: Provider<AwsCredentialIdentity> | AwsCredentialIdentity };
}

export interface ProxiedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Headers of the answer worth passing back: the body's type and AWS's error type. */
const PASSED_BACK = ['content-type', 'x-amzn-errortype', 'x-amzn-requestid'];

/**
 * Forwards one sampling call, body untouched, and returns the answer untouched: the daemon is a reverse
 * proxy, not an interpreter. The caller's User-Agent is passed on (the X-Ray API's time format for the
 * X-Ray SDK for Node depends on it). Against AWS the request is signed for the `xray` service.
 */
export function createSamplingProxy(target: ProxyTarget, timeoutMs = 5_000) {
  const signer = target.signing
    ? new SignatureV4({
        service: 'xray',
        region: target.signing.region,
        credentials: target.signing.credentials,
        sha256: Sha256,
      })
    : undefined;
  const base = new URL(target.baseUrl);

  return async function forward(
    path: string,
    body: Buffer,
    incoming: IncomingHttpHeaders,
  ): Promise<ProxiedResponse> {
    const url = new URL(path, base);
    let headers: Record<string, string> = {
      'content-type': 'application/json',
      host: url.host,
    };
    const agent = incoming['user-agent'];
    if (agent) headers['user-agent'] = agent;
    if (signer) {
      const signed = await signer.sign({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        headers,
        body: body.toString('utf8'),
      });
      headers = signed.headers as Record<string, string>;
    }
    // fetch sets Host itself; passing it would be refused.
    const { host: _host, ...sendHeaders } = headers;
    const res = await fetch(url, {
      method: 'POST',
      headers: sendHeaders,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const out: Record<string, string> = {};
    for (const name of PASSED_BACK) {
      const value = res.headers.get(name);
      if (value !== null) out[name] = value;
    }
    return { status: res.status, headers: out, body: Buffer.from(await res.arrayBuffer()) };
  };
}
