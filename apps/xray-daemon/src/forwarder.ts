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
