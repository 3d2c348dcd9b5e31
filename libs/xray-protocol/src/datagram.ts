import type { SegmentDoc } from './segment';
import { isSegmentId, isTraceId } from './trace-header';

/** The X-Ray daemon protocol: a JSON header line, a newline, one segment document. */
export const DAEMON_HEADER = '{"format":"json","version":1}\n';
/** The daemon reads 64 KB datagrams; UDP itself stops at 65,507 bytes. */
export const MAX_DATAGRAM_BYTES = 65_507;

export type DatagramResult =
  | { ok: true; segment: SegmentDoc; bytes: number }
  | {
      ok: false;
      reason: 'missing_header' | 'invalid_header' | 'invalid_json' | 'invalid_segment';
      detail: string;
    };

export function encodeDatagram(segment: SegmentDoc | string): Buffer {
  const body = typeof segment === 'string' ? segment : JSON.stringify(segment);
  return Buffer.from(DAEMON_HEADER + body, 'utf8');
}

/** Parses one datagram. Never throws; every rejection says why, as the daemon logs it. */
export function decodeDatagram(data: Buffer): DatagramResult {
  const newline = data.indexOf(0x0a);
  if (newline < 0) return { ok: false, reason: 'missing_header', detail: 'Missing header or segment' };
  let header: unknown;
  try {
    header = JSON.parse(data.toString('utf8', 0, newline));
  } catch {
    return { ok: false, reason: 'invalid_header', detail: 'Invalid header' };
  }
  if (
    typeof header !== 'object' ||
    header === null ||
    typeof (header as { format?: unknown }).format !== 'string' ||
    (header as { format: string }).format.toLowerCase() !== 'json' ||
    (header as { version?: unknown }).version !== 1
  ) {
    return { ok: false, reason: 'invalid_header', detail: 'Invalid header' };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(data.toString('utf8', newline + 1));
  } catch {
    return { ok: false, reason: 'invalid_json', detail: 'Segment is not valid JSON' };
  }
  const problem = validateSegment(doc);
  if (problem) return { ok: false, reason: 'invalid_segment', detail: problem };
  return { ok: true, segment: doc as SegmentDoc, bytes: data.length };
}

/** The required fields of a top-level segment or separately sent subsegment; `undefined` when valid. */
export function validateSegment(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'segment must be a JSON object';
  const s = doc as Record<string, unknown>;
  if (typeof s.name !== 'string' || s.name.length === 0 || s.name.length > 200)
    return 'name must be 1-200 characters';
  if (typeof s.id !== 'string' || !isSegmentId(s.id)) return 'id must be 16 hex digits';
  if (typeof s.trace_id !== 'string' || !isTraceId(s.trace_id)) return 'trace_id is not an X-Ray trace id';
  if (typeof s.start_time !== 'number' || !Number.isFinite(s.start_time))
    return 'start_time must be a number';
  const inProgress = s.in_progress === true;
  if (!inProgress && (typeof s.end_time !== 'number' || !Number.isFinite(s.end_time))) {
    return 'end_time must be a number unless in_progress is true';
  }
  if (s.parent_id !== undefined && (typeof s.parent_id !== 'string' || !isSegmentId(s.parent_id))) {
    return 'parent_id must be 16 hex digits';
  }
  if (s.type === 'subsegment' && s.parent_id === undefined) return 'a subsegment sent alone needs parent_id';
  return undefined;
}
