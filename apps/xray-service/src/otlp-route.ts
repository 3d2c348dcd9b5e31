import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  countOtlpOutcome,
  emptyOtlpStats,
  handleOtlpTraces,
  OTLP_TRACES_PATH,
  type SegmentDoc,
} from '@parcel/xray-protocol';
import type { Logger } from 'pino';
import type { XrayApi } from './xray-api';

/**
 * `POST /v1/traces`, the X-Ray OTLP endpoint (`https://xray.REGION.amazonaws.com/v1/traces`, OTLP/HTTP,
 * JSON or protobuf): spans become segment documents by the same rules the local sidecar uses and are
 * stored through PutTraceSegments' path. The endpoint takes W3C trace ids, so the 28-day check of the
 * collector's exporter is not applied; a document the store refuses counts as a rejected span.
 */
export function otlpRoute(api: XrayApi, logger: Logger) {
  const stats = emptyOtlpStats();
  return {
    stats,
    /** True when the request was this route's. */
    async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
      if (path !== OTLP_TRACES_PATH || req.method !== 'POST') return false;
      const store = (documents: SegmentDoc[]) =>
        api
          .putTraceSegments({ TraceSegmentDocuments: documents.map((d) => JSON.stringify(d)) })
          .UnprocessedTraceSegments.map((u) => `${u.Id ?? 'span'}: ${u.Message}`);
      const outcome = await handleOtlpTraces(req, res, { validateTraceIdTime: false }, store);
      countOtlpOutcome(stats, outcome);
      if (outcome.error)
        logger.debug({ status: outcome.status, error: outcome.error }, 'OTLP request refused');
      return true;
    },
  };
}
