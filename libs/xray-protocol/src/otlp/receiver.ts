import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { readBodyUpTo } from '@parcel/http-service';
import type { SegmentDoc } from '../segment';
import { OtlpFormatError, readTraceRequest } from './spans';
import { type SegmentRules, spanToSegment } from './to-segments';
import { decodeProtobufRequest, encodeProtobufResponse, encodeProtobufStatus } from './trace-proto';

/** The X-Ray OTLP endpoint's limit per request; also what the local receivers read at most. */
export const MAX_OTLP_BODY_BYTES = 5 * 1024 * 1024;
/** A gzip body may not inflate past this (a small bomb must not take the sidecar's memory). */
export const MAX_OTLP_INFLATED_BYTES = 32 * 1024 * 1024;
export const OTLP_TRACES_PATH = '/v1/traces';

/** What one OTLP/HTTP export did, for the receiver's counters. */
export interface OtlpExportOutcome {
  status: number;
  /** Spans in a well-formed request. */
  spans: number;
  /** Of those, spans that could not become segment documents (counted and reported as partial success). */
  rejectedSpans: number;
  /** Documents handed on. */
  documents: number;
  /** Why the request was refused (status ≥ 400). */
  error?: string;
}

/** Counters of an OTLP/HTTP receiver: every request and span ends in exactly one of them. */
export interface OtlpReceiverStats {
  requests: number;
  /** Requests refused with a 4xx (malformed body, wrong content type, too large). */
  malformed: number;
  spans: number;
  rejectedSpans: number;
  documents: number;
}

export const emptyOtlpStats = (): OtlpReceiverStats => ({
  requests: 0,
  malformed: 0,
  spans: 0,
  rejectedSpans: 0,
  documents: 0,
});

export function countOtlpOutcome(stats: OtlpReceiverStats, outcome: OtlpExportOutcome): void {
  stats.requests++;
  if (outcome.status >= 400) stats.malformed++;
  stats.spans += outcome.spans;
  stats.rejectedSpans += outcome.rejectedSpans;
  stats.documents += outcome.documents;
}

type Encoding = 'json' | 'protobuf';

class RequestRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Where converted documents go; returns why any of them was refused (each counts as a rejected span and
 * is reported to the client as partial success).
 */
export type DeliverDocuments = (documents: SegmentDoc[]) => string[] | undefined;

/** A request body in, segment documents delivered and the answer out. Never throws. */
export function convertOtlpRequest(
  body: Buffer,
  headers: { contentType?: string; contentEncoding?: string },
  rules: SegmentRules,
  deliver: DeliverDocuments = () => undefined,
): { outcome: OtlpExportOutcome; documents: SegmentDoc[]; encoding: Encoding; response: Buffer } {
  const encoding = encodingOf(headers.contentType);
  try {
    if (!/^application\/(json|x-protobuf|protobuf)\b/i.test(headers.contentType ?? '')) {
      throw new RequestRefused(415, 'Content-Type must be application/json or application/x-protobuf');
    }
    const raw = inflate(body, headers.contentEncoding);
    let parsed: unknown;
    try {
      parsed = encoding === 'protobuf' ? decodeProtobufRequest(raw) : JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new RequestRefused(
        400,
        `Body is not a valid ExportTraceServiceRequest (${encoding}): ${(err as Error).message}`,
      );
    }
    let resourceSpans: ReturnType<typeof readTraceRequest>;
    try {
      resourceSpans = readTraceRequest(parsed, encoding === 'protobuf' ? 'base64' : 'hex');
    } catch (err) {
      if (err instanceof OtlpFormatError)
        throw new RequestRefused(400, `Invalid ExportTraceServiceRequest: ${err.message}`);
      throw new RequestRefused(400, 'Invalid ExportTraceServiceRequest: nested too deeply');
    }
    const documents: SegmentDoc[] = [];
    const reasons: string[] = [];
    let spans = 0;
    for (const { resource, spans: list } of resourceSpans) {
      for (const span of list) {
        spans++;
        const converted = spanToSegment(span, resource, rules);
        if (converted.ok) documents.push(converted.document);
        else reasons.push(converted.reason);
      }
    }
    const refused = documents.length > 0 ? (deliver(documents) ?? []) : [];
    reasons.push(...refused);
    const rejectedSpans = reasons.length;
    const partial =
      rejectedSpans > 0 ? { rejectedSpans, errorMessage: reasons.slice(0, 3).join('; ') } : undefined;
    const response =
      encoding === 'protobuf'
        ? encodeProtobufResponse(partial)
        : Buffer.from(JSON.stringify(partial ? { partialSuccess: partial } : {}));
    return {
      outcome: { status: 200, spans, rejectedSpans, documents: documents.length - refused.length },
      documents,
      encoding,
      response,
    };
  } catch (err) {
    const refused =
      err instanceof RequestRefused ? err : new RequestRefused(400, 'Invalid ExportTraceServiceRequest');
    return refusal(encoding, refused.status, refused.message);
  }
}

const encodingOf = (contentType: string | undefined): Encoding =>
  /^application\/(x-)?protobuf\b/i.test(contentType ?? '') ? 'protobuf' : 'json';

/** A refused request: google.rpc.Status in the request's encoding (OTLP/HTTP "Failures"), 3 = INVALID_ARGUMENT. */
function refusal(encoding: Encoding, status: number, message: string) {
  const response =
    encoding === 'protobuf'
      ? encodeProtobufStatus(3, message)
      : Buffer.from(JSON.stringify({ code: 3, message }));
  return {
    outcome: { status, spans: 0, rejectedSpans: 0, documents: 0, error: message },
    documents: [] as SegmentDoc[],
    encoding,
    response,
  };
}

function inflate(body: Buffer, contentEncoding: string | undefined): Buffer {
  const coding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (coding === 'identity' || coding === '') return body;
  if (coding !== 'gzip')
    throw new RequestRefused(415, `Content-Encoding ${coding} is not supported (gzip is)`);
  try {
    return gunzipSync(body, { maxOutputLength: MAX_OTLP_INFLATED_BYTES });
  } catch (err) {
    const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw tooBig
      ? new RequestRefused(413, `Body inflates past ${MAX_OTLP_INFLATED_BYTES} bytes`)
      : new RequestRefused(400, 'Body is not valid gzip');
  }
}

/**
 * `POST /v1/traces` over node:http, for any server that receives OTLP/HTTP: reads the body (bounded),
 * converts it, hands the documents to `deliver`, and answers as OTLP/HTTP says (200 with an
 * ExportTraceServiceResponse, or a 4xx with a Status), in the request's encoding.
 */
export async function handleOtlpTraces(
  req: IncomingMessage,
  res: ServerResponse,
  rules: SegmentRules,
  deliver: DeliverDocuments,
): Promise<OtlpExportOutcome> {
  const contentType = req.headers['content-type'];
  const contentEncoding = req.headers['content-encoding'];
  const body = await readBodyUpTo(req, MAX_OTLP_BODY_BYTES);
  const { outcome, encoding, response } =
    body === undefined
      ? refusal(encodingOf(contentType), 413, `Body exceeds ${MAX_OTLP_BODY_BYTES} bytes`)
      : convertOtlpRequest(body, { contentType, contentEncoding }, rules, deliver);
  res.writeHead(outcome.status, {
    'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    'content-length': response.length,
  });
  res.end(response);
  return outcome;
}
