import { DAEMON_HEADER, validateSegment } from '@parcel/xray-protocol';

/** Why a datagram was not accepted; the daemon counts each reason. */
export type InvalidReason =
  | 'missing_header'
  | 'invalid_header'
  | 'invalid_json'
  | 'invalid_segment'
  | 'oversized';

export type ReadResult = { ok: true; text: string } | { ok: false; reason: InvalidReason; detail: string };

/** The segment size X-Ray accepts (64 KB); the document text after the header line. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;

const CANONICAL_HEADER = Buffer.from(DAEMON_HEADER, 'utf8');
const NEWLINE = 0x0a;

/**
 * Reads one daemon datagram and keeps the document's original text, so the daemon forwards exactly what
 * the tracer sent without re-serialising it. The canonical header (what every SDK sends) is matched by a
 * byte comparison; any other header line is parsed as the real daemon would (format `json` in any case,
 * version 1). The document is parsed once, to reject what X-Ray would reject anyway. Never throws.
 */
export function readDatagram(data: Buffer, maxDocumentBytes: number = MAX_DOCUMENT_BYTES): ReadResult {
  let bodyStart: number;
  if (
    data.length > CANONICAL_HEADER.length &&
    data.compare(CANONICAL_HEADER, 0, CANONICAL_HEADER.length, 0, CANONICAL_HEADER.length) === 0
  ) {
    bodyStart = CANONICAL_HEADER.length;
  } else {
    const newline = data.indexOf(NEWLINE);
    if (newline < 0) return { ok: false, reason: 'missing_header', detail: 'Missing header or segment' };
    if (!isValidHeader(data.toString('utf8', 0, newline)))
      return { ok: false, reason: 'invalid_header', detail: 'Invalid header' };
    bodyStart = newline + 1;
  }
  const size = data.length - bodyStart;
  if (size === 0) return { ok: false, reason: 'missing_header', detail: 'Missing header or segment' };
  if (size > maxDocumentBytes)
    return { ok: false, reason: 'oversized', detail: `Segment of ${size} bytes exceeds ${maxDocumentBytes}` };
  const text = data.toString('utf8', bodyStart);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid_json', detail: 'Segment is not valid JSON' };
  }
  const problem = validateSegment(doc);
  if (problem) return { ok: false, reason: 'invalid_segment', detail: problem };
  return { ok: true, text };
}

function isValidHeader(line: string): boolean {
  let header: unknown;
  try {
    header = JSON.parse(line);
  } catch {
    return false;
  }
  if (typeof header !== 'object' || header === null) return false;
  const { format, version } = header as { format?: unknown; version?: unknown };
  return typeof format === 'string' && format.toLowerCase() === 'json' && version === 1;
}
