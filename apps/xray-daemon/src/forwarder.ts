import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';
import { LOCAL_CREDENTIALS } from '@parcel/config';
import type { Upload } from './segment-pipeline';

export interface ForwarderConfig {
  /** The X-Ray API to send to; unset: AWS X-Ray in `region`, with the default credential chain. */
  endpoint?: string;
  region: string;
}

/**
 * The X-Ray API client the daemon uploads with. Against a local endpoint it signs with the project's
 * local credentials (unless the environment has its own); against AWS it uses the default credential
 * chain (task role on Fargate). One attempt per batch: the real daemon does not retry a failed upload.
 */
export function createXrayClient(config: ForwarderConfig, env: NodeJS.ProcessEnv = process.env): XRayClient {
  // A hung X-Ray endpoint must not pin batches in flight forever: they fail, are counted, and free the buffer.
  const common = {
    region: config.region,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
  };
  if (!config.endpoint) return new XRayClient(common);
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : LOCAL_CREDENTIALS;
  return new XRayClient({ ...common, endpoint: config.endpoint, credentials });
}

/** Uploads one batch with PutTraceSegments, forwarding each document's original text. */
export function xrayUpload(client: XRayClient): Upload {
  return async (documents) => {
    const out = await client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: documents }));
    return { unprocessed: out.UnprocessedTraceSegments?.length ?? 0 };
  };
}

/**
 * The same PutTraceSegments request without the SDK: one keep-alive POST whose body is built by
 * concatenation (each document JSON-escaped once). Measured on this machine at about a quarter of the
 * SDK's CPU per batch, which is what decides whether one core keeps up at tens of thousands of segments
 * per second. Unsigned, so only for a local X-Ray endpoint; against AWS use the SDK.
 */
export function httpUpload(
  endpoint: string,
  concurrency: number,
  timeoutMs = 5_000,
): { upload: Upload; close(): void } {
  const target = new URL('/TraceSegments', endpoint);
  const agent = new (target.protocol === 'https:' ? HttpsAgent : HttpAgent)({
    keepAlive: true,
    maxSockets: concurrency,
  });
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const upload: Upload = (documents) =>
    new Promise((resolve, reject) => {
      let body = '{"TraceSegmentDocuments":[';
      for (let i = 0; i < documents.length; i++) body += (i === 0 ? '' : ',') + JSON.stringify(documents[i]);
      body += ']}';
      const req = send(
        target,
        {
          method: 'POST',
          agent,
          timeout: timeoutMs,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) {
              reject(
                new Error(
                  `PutTraceSegments: HTTP ${res.statusCode} ${res.headers['x-amzn-errortype'] ?? ''} ${text.slice(0, 200)}`,
                ),
              );
              return;
            }
            try {
              const parsed = JSON.parse(text) as { UnprocessedTraceSegments?: unknown[] };
              resolve({ unprocessed: parsed.UnprocessedTraceSegments?.length ?? 0 });
            } catch {
              reject(new Error('PutTraceSegments: answer is not JSON'));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`PutTraceSegments: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  return { upload, close: () => agent.destroy() };
}
