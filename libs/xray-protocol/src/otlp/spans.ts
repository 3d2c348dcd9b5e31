/**
 * OTLP trace data as the span → segment rules read it, from either wire encoding. Reading never throws
 * anything but OtlpFormatError, whose message says what is wrong and where (it becomes the 400's text).
 */

export type AttributeValue = string | number | boolean | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Map<string, AttributeValue>;

export const SpanKind = {
  unspecified: 0,
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
} as const;
export const StatusCode = { unset: 0, ok: 1, error: 2 } as const;

export interface OtlpEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: Attributes;
}

export interface OtlpSpan {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  events: OtlpEvent[];
  status: { code: number; message: string };
}

export interface OtlpResourceSpans {
  resource: Attributes;
  spans: OtlpSpan[];
}

export class OtlpFormatError extends Error {
  override name = 'OtlpFormatError';
}

/** How ids and bytes are spelled: OTLP/JSON uses hex ids; protobuf bytes arrive here as base64. */
export type IdEncoding = 'hex' | 'base64';

const MAX_VALUE_DEPTH = 32;
const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A field by its lowerCamelCase name or its proto name (protobuf JSON parsers accept both). */
function field(o: Obj, camel: string): unknown {
  if (Object.hasOwn(o, camel)) return o[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return Object.hasOwn(o, snake) ? o[snake] : undefined;
}

function list(o: Obj, camel: string, where: string): unknown[] {
  const v = field(o, camel);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpFormatError(`${where}.${camel} must be a list`);
  return v;
}

function object(v: unknown, where: string): Obj {
  if (!isObj(v)) throw new OtlpFormatError(`${where} must be an object`);
  return v;
}

function str(o: Obj, camel: string, where: string): string {
  const v = field(o, camel);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new OtlpFormatError(`${where}.${camel} must be a string`);
  return v;
}

/** int64/uint64/fixed64: a JSON number or a decimal string. */
function int64(v: unknown, where: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return BigInt(v);
  throw new OtlpFormatError(`${where} must be an integer`);
}

function enumValue(v: unknown, names: Record<string, number>, where: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && Object.hasOwn(names, v)) return names[v] as number;
  throw new OtlpFormatError(`${where} is not a known value`);
}

function id(v: unknown, bytes: number, encoding: IdEncoding, where: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new OtlpFormatError(`${where} must be a string`);
  const hex = encoding === 'hex' ? v.toLowerCase() : Buffer.from(v, 'base64').toString('hex');
  if (hex.length !== bytes * 2 || !/^[0-9a-f]+$/.test(hex)) {
    throw new OtlpFormatError(`${where} must be ${bytes} bytes${encoding === 'hex' ? ' in hex' : ''}`);
  }
  return hex;
}

function anyValue(
  v: unknown,
  encoding: IdEncoding,
  where: string,
  depth: number,
): AttributeValue | undefined {
  if (depth > MAX_VALUE_DEPTH) throw new OtlpFormatError(`${where} nests deeper than ${MAX_VALUE_DEPTH}`);
  if (v === undefined || v === null) return undefined;
  const o = object(v, where);
  const s = field(o, 'stringValue');
  if (s !== undefined) {
    if (typeof s !== 'string') throw new OtlpFormatError(`${where}.stringValue must be a string`);
    return s;
  }
  const b = field(o, 'boolValue');
  if (b !== undefined) {
    if (typeof b !== 'boolean') throw new OtlpFormatError(`${where}.boolValue must be a boolean`);
    return b;
  }
  const i = field(o, 'intValue');
  if (i !== undefined) return Number(int64(i, `${where}.intValue`));
  const d = field(o, 'doubleValue');
  if (d !== undefined) {
    if (typeof d === 'number') return d;
    // The JSON mapping spells non-finite doubles as strings.
    if (d === 'NaN' || d === 'Infinity' || d === '-Infinity') return Number(d);
    throw new OtlpFormatError(`${where}.doubleValue must be a number`);
  }
  const a = field(o, 'arrayValue');
  if (a !== undefined) {
    const values = list(object(a, `${where}.arrayValue`), 'values', `${where}.arrayValue`);
    return values.flatMap((x, n) => {
      const value = anyValue(x, encoding, `${where}.arrayValue.values[${n}]`, depth + 1);
      return value === undefined ? [] : [value];
    });
  }
  const kv = field(o, 'kvlistValue');
  if (kv !== undefined) {
    const values = list(object(kv, `${where}.kvlistValue`), 'values', `${where}.kvlistValue`);
    return Object.fromEntries(attributes(values, encoding, `${where}.kvlistValue.values`, depth + 1));
  }
  const bytes = field(o, 'bytesValue');
  if (bytes !== undefined) {
    if (typeof bytes !== 'string') throw new OtlpFormatError(`${where}.bytesValue must be base64`);
    return bytes;
  }
  return undefined;
}

function attributes(values: unknown[], encoding: IdEncoding, where: string, depth = 0): Attributes {
  const out: Attributes = new Map();
  values.forEach((kv, n) => {
    const o = object(kv, `${where}[${n}]`);
    const key = str(o, 'key', `${where}[${n}]`);
    const value = anyValue(field(o, 'value'), encoding, `${where}[${n}].value`, depth);
    if (value !== undefined) out.set(key, value);
  });
  return out;
}

function span(v: unknown, encoding: IdEncoding, where: string): OtlpSpan {
  const o = object(v, where);
  const traceId = id(field(o, 'traceId'), 16, encoding, `${where}.traceId`);
  const spanId = id(field(o, 'spanId'), 8, encoding, `${where}.spanId`);
  if (!traceId) throw new OtlpFormatError(`${where}.traceId is missing`);
  if (!spanId) throw new OtlpFormatError(`${where}.spanId is missing`);
  const parentSpanId = id(field(o, 'parentSpanId'), 8, encoding, `${where}.parentSpanId`);
  const status = field(o, 'status');
  const statusObj = status === undefined || status === null ? {} : object(status, `${where}.status`);
  return {
    traceId,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name: str(o, 'name', where),
    kind: enumValue(field(o, 'kind'), SPAN_KINDS, `${where}.kind`),
    startTimeUnixNano: int64(field(o, 'startTimeUnixNano'), `${where}.startTimeUnixNano`),
    endTimeUnixNano: int64(field(o, 'endTimeUnixNano'), `${where}.endTimeUnixNano`),
    attributes: attributes(list(o, 'attributes', where), encoding, `${where}.attributes`),
    events: list(o, 'events', where).map((e, n) => {
      const event = object(e, `${where}.events[${n}]`);
      return {
        name: str(event, 'name', `${where}.events[${n}]`),
        timeUnixNano: int64(field(event, 'timeUnixNano'), `${where}.events[${n}].timeUnixNano`),
        attributes: attributes(
          list(event, 'attributes', `${where}.events[${n}]`),
          encoding,
          `${where}.events[${n}].attributes`,
        ),
      };
    }),
    status: {
      code: enumValue(field(statusObj, 'code'), STATUS_CODES, `${where}.status.code`),
      message: str(statusObj, 'message', `${where}.status`),
    },
  };
}

/** Reads an ExportTraceServiceRequest in its JSON shape (parsed OTLP/JSON, or decoded protobuf). */
export function readTraceRequest(request: unknown, encoding: IdEncoding): OtlpResourceSpans[] {
  const root = object(request, 'request');
  return list(root, 'resourceSpans', 'request').map((rs, r) => {
    const where = `resourceSpans[${r}]`;
    const o = object(rs, where);
    const resource = field(o, 'resource');
    const resourceAttributes =
      resource === undefined || resource === null
        ? new Map()
        : attributes(
            list(object(resource, `${where}.resource`), 'attributes', `${where}.resource`),
            encoding,
            `${where}.resource.attributes`,
          );
    const spans = list(o, 'scopeSpans', where).flatMap((ss, s) =>
      list(object(ss, `${where}.scopeSpans[${s}]`), 'spans', `${where}.scopeSpans[${s}]`).map((sp, n) =>
        span(sp, encoding, `${where}.scopeSpans[${s}].spans[${n}]`),
      ),
    );
    return { resource: resourceAttributes, spans };
  });
}
