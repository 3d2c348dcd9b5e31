import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDaemon, startXrayDaemon } from './daemon';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

/** An X-Ray API stand-in that checks each request's SigV4 signature the way AWS does: by recomputing it. */
async function startVerifier() {
  const seen: { path: string; body: string; headers: IncomingHttpHeaders; valid: boolean }[] = [];
  const verifier = new SignatureV4({ service: 'xray', region: 'eu-west-1', credentials, sha256: Sha256 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const amzDate = String(req.headers['x-amz-date']);
      const signingDate = new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
      );
      const signedHeaderNames =
        /SignedHeaders=([^,]+)/.exec(String(req.headers.authorization))?.[1]?.split(';') ?? [];
      const headers: Record<string, string> = {};
      for (const name of signedHeaderNames) headers[name] = String(req.headers[name]);
      const expected = await verifier.sign(
        { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path: req.url ?? '/', headers, body },
        { signingDate },
      );
      const valid =
        expected.headers.authorization === req.headers.authorization && signedHeaderNames.includes('host');
      seen.push({ path: req.url ?? '', body, headers: req.headers, valid });
      res.writeHead(valid ? 200 : 403, { 'content-type': 'application/json', 'x-amzn-RequestId': 'req-1' });
      res.end(valid ? JSON.stringify({ SamplingRuleRecords: [] }) : '{"message":"signature mismatch"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => server.close(),
  };
}

describe('sampling proxy, signing for AWS', () => {
  let verifier: Awaited<ReturnType<typeof startVerifier>>;
  let daemon: RunningDaemon;
  beforeAll(async () => {
    verifier = await startVerifier();
    daemon = await startXrayDaemon(
      {
        address: { host: '127.0.0.1', port: 0 },
        endpoint: undefined,
        region: 'eu-west-1',
        bufferMb: 1,
        concurrency: 1,
        batchSize: 50,
        flushIntervalMs: 1000,
      },
      {
        upload: async () => ({ unprocessed: 0 }),
        proxyTarget: { baseUrl: verifier.url, signing: { region: 'eu-west-1', credentials } },
      },
    );
  });
  afterAll(async () => {
    await daemon?.close();
    verifier?.close();
  });

  it('signs GetSamplingRules and SamplingTargets with SigV4 for xray and passes bodies through untouched', async () => {
    const targetsBody =
      '{"SamplingStatisticsDocuments":[{"RuleName":"Default","ClientID":"abc","RequestCount":3,"BorrowCount":1,"SampledCount":1,"Timestamp":1700000000}]}';
    for (const [path, body] of [
      ['/GetSamplingRules', '{}'],
      ['/SamplingTargets', targetsBody],
    ] as const) {
      const res = await fetch(`${daemon.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('x-amzn-requestid')).toBe('req-1');
      const seen = verifier.seen.at(-1);
      expect(seen).toMatchObject({ path, body, valid: true });
      expect(seen?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/xray\/aws4_request/,
      );
    }
  });

  it('only proxies the sampling paths', async () => {
    const res = await fetch(`${daemon.url}/TraceSegments`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });
});
