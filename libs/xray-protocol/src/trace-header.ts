/**
 * `X-Amzn-Trace-Id: Root=1-{8 hex}-{24 hex};Parent={16 hex};Sampled={0|1|?}` plus fields we carry on
 * untouched (Lineage, Self, …). Parsing never throws: hostile input yields `undefined`.
 */
export const TRACE_HEADER = 'x-amzn-trace-id';
/** Longer headers are not ours to parse (an ALB rewrites headers over 7 KB); treat them as absent. */
export const MAX_TRACE_HEADER_LENGTH = 2048;

export type SampledFlag = '0' | '1' | '?';

export interface TraceHeader {
  root: string;
  parent?: string;
  sampled?: SampledFlag;
  /** Other `Key=Value` fields in arrival order, passed on verbatim. */
  extra: [string, string][];
}

const ROOT = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const SEGMENT_ID = /^[0-9a-f]{16}$/;
const EXTRA_KEY = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const EXTRA_VALUE = /^[\x21-\x3a\x3c-\x7e]{0,256}$/; // printable ASCII except ';'

export function isTraceId(value: string): boolean {
  return ROOT.test(value);
}

export function isSegmentId(value: string): boolean {
  return SEGMENT_ID.test(value);
}

export function parseTraceHeader(raw: string | string[] | undefined): TraceHeader | undefined {
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.length === 0 || value.length > MAX_TRACE_HEADER_LENGTH) return undefined;
  let root: string | undefined;
  let parent: string | undefined;
  let sampled: SampledFlag | undefined;
  const extra: [string, string][] = [];
  for (const part of value.split(';')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) return undefined;
    const key = trimmed.slice(0, eq);
    const val = trimmed.slice(eq + 1);
    switch (key) {
      case 'Root':
        if (root !== undefined || !ROOT.test(val)) return undefined;
        root = val;
        break;
      case 'Parent':
        if (parent !== undefined || !SEGMENT_ID.test(val)) return undefined;
        parent = val;
        break;
      case 'Sampled':
        if (sampled !== undefined || (val !== '0' && val !== '1' && val !== '?')) return undefined;
        sampled = val;
        break;
      default:
        // Unknown fields are carried on, but only if they cannot smuggle anything into a header.
        if (!EXTRA_KEY.test(key) || !EXTRA_VALUE.test(val) || extra.length >= 8) return undefined;
        extra.push([key, val]);
    }
  }
  if (root === undefined) return undefined;
  const header: TraceHeader = { root, extra };
  if (parent !== undefined) header.parent = parent;
  if (sampled !== undefined) header.sampled = sampled;
  return header;
}

export function formatTraceHeader(header: TraceHeader): string {
  let out = `Root=${header.root}`;
  if (header.parent !== undefined) out += `;Parent=${header.parent}`;
  if (header.sampled !== undefined) out += `;Sampled=${header.sampled}`;
  for (const [k, v] of header.extra) out += `;${k}=${v}`;
  return out;
}

/** Step Functions' `StartExecution` / `StartSyncExecution` take a `traceHeader` of at most 256 characters. */
export const STEP_FUNCTIONS_TRACE_HEADER_LIMIT = 256;

/**
 * The header for an AWS API that limits its length: `Root`, `Parent` and `Sampled` always (they are the
 * trace), then each other field, in arrival order, that still fits; a field too long to fit is left out
 * and a later, shorter one may still go in. An HTTP hop carries the whole header instead
 * (`formatTraceHeader`).
 */
export function formatTraceHeaderWithin(header: TraceHeader, maxLength: number): string {
  let out = formatTraceHeader({ ...header, extra: [] });
  for (const [k, v] of header.extra) {
    const field = `;${k}=${v}`;
    if (out.length + field.length <= maxLength) out += field;
  }
  return out;
}

/** A header as a string, cut to what an AWS API with `maxLength` takes; `undefined` stays `undefined`. */
export function traceHeaderWithin(raw: string | undefined, maxLength: number): string | undefined {
  if (raw === undefined || raw.length <= maxLength) return raw;
  const header = parseTraceHeader(raw);
  // Not a header we can shorten field by field: sending none beats a call the API refuses.
  return header ? formatTraceHeaderWithin(header, maxLength) : undefined;
}

/** The epoch seconds encoded in a trace id's first field. */
export function traceIdEpochSeconds(traceId: string): number {
  return Number.parseInt(traceId.slice(2, 10), 16);
}
