import { newSegmentId } from '../ids';
import { type ExceptionDoc, type SegmentDoc, type StackFrame, statusFlags } from '../segment';
import { type Attributes, type AttributeValue, type OtlpSpan, SpanKind, StatusCode } from './spans';

/**
 * Span → segment document, by the rules of the OpenTelemetry collector's `awsxray` exporter
 * (opentelemetry-collector-contrib `exporter/awsxrayexporter/internal/translator`: segment.go, http.go,
 * cause.go, aws.go, sql.go), so that what the local sidecar stores is what the ADOT collector would send.
 * Where this differs from it, the comment says so.
 */
export interface SegmentRules {
  /** Attribute keys always written as annotations (the exporter's `indexed_attributes`). */
  indexedAttributes?: readonly string[];
  /**
   * Refuse trace ids whose time is over 28 days old or 5 minutes ahead, as the exporter does (X-Ray would
   * reject them). The X-Ray OTLP endpoint takes W3C ids, so it skips this.
   */
  validateTraceIdTime: boolean;
  nowSeconds?: number;
}

export type SpanConversion = { ok: true; document: SegmentDoc } | { ok: false; reason: string };

const MAX_TRACE_AGE_S = 28 * 24 * 60 * 60;
const MAX_CLOCK_SKEW_S = 5 * 60;
const MAX_NAME_LENGTH = 200;
const ANNOTATIONS_ATTRIBUTE = 'aws.xray.annotations';
const METADATA_PREFIX = 'aws.xray.metadata.';
const SQL_SYSTEMS = new Set([
  'db2',
  'derby',
  'hive',
  'mariadb',
  'mssql',
  'mysql',
  'oracle',
  'postgresql',
  'sqlite',
  'teradata',
  'other_sql',
]);
/** Letters (any script), digits, whitespace and `_ . : / % & # = + \ - @` (segment documents guide). */
const INVALID_NAME_CHARACTERS = /[^ 0-9\p{L}\p{N}_.:/%&#=+\\\-@]/gu;

const asString = (v: AttributeValue | undefined): string | undefined =>
  typeof v === 'string' ? v : undefined;
const asInt = (v: AttributeValue | undefined): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) ? v : undefined;

/** The first of `keys` present: stable semantic-convention names first, then the older ones they replaced. */
function take(attrs: Attributes, consumed: Set<string>, ...keys: string[]): AttributeValue | undefined {
  for (const key of keys) {
    if (attrs.has(key)) {
      for (const k of keys) if (attrs.has(k)) consumed.add(k);
      return attrs.get(key);
    }
  }
  return undefined;
}

/** `1-{8 hex}-{24 hex}` from the 32-hex OTel trace id. */
export function xrayTraceId(otelTraceId: string): string {
  return `1-${otelTraceId.slice(0, 8)}-${otelTraceId.slice(8)}`;
}

export function spanToSegment(span: OtlpSpan, resource: Attributes, rules: SegmentRules): SpanConversion {
  if (rules.validateTraceIdTime) {
    const epoch = Number.parseInt(span.traceId.slice(0, 8), 16);
    const now = rules.nowSeconds ?? Date.now() / 1000;
    if (now - epoch > MAX_TRACE_AGE_S || epoch - now > MAX_CLOCK_SKEW_S) {
      return {
        ok: false,
        reason: `invalid xray traceid: ${span.traceId} (its time is not within the last 28 days)`,
      };
    }
  }
  const attrs = span.attributes;
  const consumed = new Set<string>();
  const kind = span.kind;
  const isSubsegment = kind !== SpanKind.server && span.parentSpanId !== undefined;
  const isAwsSdk = attrs.get('rpc.system') === 'aws-api';

  const doc: SegmentDoc = {
    id: span.spanId,
    name: '',
    trace_id: xrayTraceId(span.traceId),
    start_time: nanosToSeconds(span.startTimeUnixNano),
    end_time: nanosToSeconds(span.endTimeUnixNano),
  };
  if (span.parentSpanId) doc.parent_id = span.parentSpanId;
  if (isSubsegment) doc.type = 'subsegment';

  const http = makeHttp(span, consumed);
  const flags = makeCause(span, resource, consumed, isAwsSdk);
  const aws = makeAws(attrs, resource, consumed);
  const sql = makeSql(span, consumed);
  const { name, namespace } = makeName(span, resource, isAwsSdk);
  doc.name = name;
  if (namespace) doc.namespace = namespace;
  if (http) doc.http = http;
  doc.fault = flags.fault;
  doc.error = flags.error;
  doc.throttle = flags.throttle;
  if (flags.cause) doc.cause = flags.cause;
  const origin = awsOrigin(resource);
  if (origin) doc.origin = origin;
  if (aws) doc.aws = aws;
  const version = asString(resource.get('service.version'));
  if (version) doc.service = { version };
  if (sql) doc.sql = sql;
  addAnnotationsAndMetadata(doc, attrs, resource, consumed, !isSubsegment, rules.indexedAttributes ?? []);
  return { ok: true, document: doc };
}

function nanosToSeconds(nanos: bigint): number {
  // Seconds and the nanosecond remainder apart, so the fraction keeps its digits.
  return Number(nanos / 1_000_000_000n) + Number(nanos % 1_000_000_000n) / 1e9;
}

function makeName(
  span: OtlpSpan,
  resource: Attributes,
  isAwsSdk: boolean,
): { name: string; namespace?: string } {
  const attrs = span.attributes;
  const kind = span.kind;
  const isOutbound = kind === SpanKind.client || kind === SpanKind.producer || kind === SpanKind.consumer;
  const trimSdkPrefix = (n: string) => (isAwsSdk ? n.replace(/^AWS\.SDK\.|^AWS::/, '') : n);
  let name: string | undefined;
  let namespace: string | undefined;
  if (kind === SpanKind.server) name = asString(attrs.get('aws.local.service'));
  if (kind === SpanKind.internal && attrs.get('aws.span.kind') === 'LOCAL_ROOT') {
    name = asString(attrs.get('aws.local.service'));
  }
  if (isOutbound) {
    const remote = asString(attrs.get('aws.remote.service'));
    if (remote !== undefined) name = trimSdkPrefix(remote);
  }
  name ||= asString(attrs.get('peer.service'));
  if (isAwsSdk) namespace = 'aws';
  if (!name) {
    const awsService = asString(attrs.get('aws.service'));
    if (awsService !== undefined) {
      name = awsService;
      namespace ??= 'aws';
    }
  }
  if (!name) {
    const db = asString(attrs.get('db.namespace') ?? attrs.get('db.name'));
    if (db !== undefined) {
      name = db;
      const host = dbHost(asString(attrs.get('db.connection_string')));
      if (host) name += `@${host}`;
    }
  }
  if (!name && kind === SpanKind.server) name = asString(resource.get('service.name'));
  name ||= asString(attrs.get('rpc.service'));
  name ||= asString(attrs.get('http.host'));
  name ||= asString(attrs.get('net.peer.name'));
  name ||= fixSegmentName(span.name);
  if (!namespace && kind === SpanKind.client) namespace = 'remote';
  // Producer and consumer spans naming a remote service are remote calls too (addNamespaceToSubsegment…).
  if (!namespace && isOutbound && span.parentSpanId && attrs.has('aws.remote.service')) namespace = 'remote';
  return namespace ? { name, namespace } : { name };
}

function dbHost(connection: string | undefined): string | undefined {
  if (!connection) return undefined;
  try {
    return new URL(connection.replace(/^jdbc:/, '')).hostname || undefined;
  } catch {
    return undefined;
  }
}

function fixSegmentName(name: string): string {
  const clean = name.replace(INVALID_NAME_CHARACTERS, '');
  if (clean.length === 0) return 'span';
  return clean.length > MAX_NAME_LENGTH ? clean.slice(0, MAX_NAME_LENGTH) : clean;
}

function makeHttp(span: OtlpSpan, consumed: Set<string>): SegmentDoc['http'] | undefined {
  const attrs = span.attributes;
  const local = new Set<string>();
  const method = asString(take(attrs, local, 'http.request.method', 'http.method'));
  const userAgent = asString(take(attrs, local, 'user_agent.original', 'http.user_agent'));
  const status = asInt(take(attrs, local, 'http.response.status_code', 'http.status_code'));
  const full = asString(take(attrs, local, 'url.full', 'http.url'));
  const scheme = asString(take(attrs, local, 'url.scheme', 'http.scheme'));
  const path = asString(take(attrs, local, 'url.path'));
  const query = asString(take(attrs, local, 'url.query'));
  const target = asString(take(attrs, local, 'http.target'));
  const hasHttp = local.size > 0;
  const host = asString(take(attrs, local, 'server.address', 'http.host', 'net.host.name', 'net.peer.name'));
  const hostName = asString(take(attrs, local, 'host.name'));
  const portValue = take(attrs, local, 'server.port', 'net.host.port', 'net.peer.port');
  const port = portValue === undefined ? undefined : String(portValue);
  const peerAddress = asString(
    take(attrs, local, 'network.peer.address', 'net.peer.ip', 'net.sock.peer.addr'),
  );
  const clientAddress = asString(take(attrs, local, 'client.address', 'http.client_ip'));
  if (!hasHttp && clientAddress === undefined && peerAddress === undefined) return undefined;
  for (const key of local) consumed.add(key);

  const request: NonNullable<SegmentDoc['http']>['request'] = {};
  if (method) request.method = method;
  if (userAgent) request.user_agent = userAgent;
  // A client address other than the socket's peer came through a proxy's X-Forwarded-For.
  const clientIp = clientAddress ?? peerAddress;
  if (clientIp) {
    request.client_ip = clientIp;
    if (peerAddress === undefined) request.x_forwarded_for = true;
  }
  const hasUrlParts =
    full !== undefined || host !== undefined || hostName !== undefined || peerAddress !== undefined;
  if (hasUrlParts) {
    request.url =
      full ??
      buildUrl(
        scheme ?? 'http',
        span.kind === SpanKind.server ? (host ?? hostName ?? '') : (host ?? ''),
        port,
        path ?? target,
        query,
      );
  }
  const http: NonNullable<SegmentDoc['http']> = { request };
  const contentLength = asInt(
    attrs.get('http.response.body.size') ?? attrs.get('http.response_content_length'),
  );
  if (status !== undefined || contentLength !== undefined) {
    http.response = {};
    if (status !== undefined) http.response.status = status;
    if (contentLength !== undefined) http.response.content_length = contentLength;
  }
  return http;
}

function buildUrl(
  scheme: string,
  host: string,
  port: string | undefined,
  path: string | undefined,
  query: string | undefined,
) {
  let url = `${scheme}://${host}`;
  if (port && !(scheme === 'http' && port === '80') && !(scheme === 'https' && port === '443'))
    url += `:${port}`;
  url += path ?? '/';
  if (query) url += query.startsWith('?') ? query : `?${query}`;
  return url;
}

function makeCause(
  span: OtlpSpan,
  resource: Attributes,
  consumed: Set<string>,
  isAwsSdk: boolean,
): { fault: boolean; error: boolean; throttle: boolean; cause?: SegmentDoc['cause'] } {
  const remote = span.kind === SpanKind.client || span.kind === SpanKind.producer;
  const language = asString(resource.get('telemetry.sdk.language')) ?? '';
  const exceptions: ExceptionDoc[] = [];
  for (const event of span.events) {
    if (event.name === 'exception') {
      const type = asString(event.attributes.get('exception.type')) ?? '';
      const message = asString(event.attributes.get('exception.message')) ?? '';
      const stack = asString(event.attributes.get('exception.stacktrace')) ?? '';
      const exception: ExceptionDoc = { id: newSegmentId(), remote };
      if (type) exception.type = type;
      if (message) exception.message = message;
      const frames = ['javascript', 'nodejs', 'webjs'].includes(language) ? javascriptFrames(stack) : [];
      if (frames.length > 0) exception.stack = frames;
      exceptions.push(exception);
    } else if (isAwsSdk && event.name === 'HTTP request failure') {
      const code = event.attributes.get('http.response.status_code');
      const text = asString(event.attributes.get('aws.http.error_message'));
      if (code !== undefined && text !== undefined) {
        const at = (Number(event.timeUnixNano / 1000n) / 1e6).toFixed(6);
        exceptions.push({
          id: newSegmentId(),
          type: 'aws.http.error.event',
          remote: true,
          message: `${code}@${at}@${text}`,
        });
      }
    }
  }
  let cause: SegmentDoc['cause'] | undefined;
  if (exceptions.length > 0) cause = { exceptions };
  else if (span.status.code === StatusCode.error) {
    const statusText = asString(span.attributes.get('http.status_text'));
    if (statusText !== undefined) consumed.add('http.status_text');
    const message = span.status.message || statusText || '';
    if (message) cause = { exceptions: [{ id: newSegmentId(), message }] };
  }
  const code = asInt(
    span.attributes.get('http.status_code') ?? span.attributes.get('http.response.status_code'),
  );
  // Without an error status code, the span's own status says whether it failed.
  const flags =
    code === undefined || code < 400 || code > 599
      ? { fault: span.status.code === StatusCode.error, error: false, throttle: false }
      : { fault: false, error: false, throttle: false, ...statusFlags(code) };
  return cause ? { ...flags, cause } : flags;
}

/** V8 stack lines (`    at label (path:line:column)`) as X-Ray stack frames, as the exporter parses them. */
function javascriptFrames(stacktrace: string): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const line of stacktrace.split(/\r?\n/).slice(1)) {
    if (!line.startsWith('    at ')) continue;
    const paren = line.indexOf('(');
    let label = '';
    let path = '';
    if (paren >= 0 && line.endsWith(')')) {
      label = line.slice(7, paren).trim();
      path = line.slice(paren + 1, -1);
    } else if (paren < 0) path = line.slice(7);
    let lineNumber = 0;
    const first = path.indexOf(':');
    const second = first >= 0 ? path.indexOf(':', first + 1) : -1;
    if (first >= 0 && second > first) {
      lineNumber = Number.parseInt(path.slice(first + 1, second), 10) || 0;
      path = path.slice(0, first);
    } else if (first < 0 && path.includes('native')) path = 'native';
    if (path || label || lineNumber) frames.push({ path, label, line: lineNumber });
  }
  return frames;
}

const AWS_KEYS = {
  operation: ['aws.operation', 'rpc.method'],
  account_id: ['aws.account_id'],
  region: ['aws.region'],
  request_id: ['aws.request_id', 'aws.requestId'],
  queue_url: ['aws.queue_url', 'aws.queue.url'],
  table_name: ['aws.table_name', 'aws.table.name'],
} as const;

function makeAws(
  attrs: Attributes,
  resource: Attributes,
  consumed: Set<string>,
): Record<string, unknown> | undefined {
  const aws: Record<string, unknown> = {};
  for (const [field, keys] of Object.entries(AWS_KEYS)) {
    const value = asString(take(attrs, consumed, ...keys));
    if (value) aws[field] = value;
  }
  const cloud = asString(resource.get('cloud.provider'));
  if (cloud !== undefined && cloud !== 'aws') return undefined;
  const queueUrl = asString(attrs.get('messaging.url'));
  if (queueUrl) aws.queue_url = queueUrl;
  const tables = attrs.get('aws.dynamodb.table_names');
  if (Array.isArray(tables)) {
    const names = tables.filter((t): t is string => typeof t === 'string');
    if (names.length === 1) aws.table_name = names[0];
    else if (names.length > 1) {
      delete aws.table_name;
      aws.table_names = names;
    }
  } else if (typeof tables === 'string') aws.table_name = tables;
  const sdkName = asString(resource.get('telemetry.sdk.name'));
  const sdkLanguage = asString(resource.get('telemetry.sdk.language'));
  const sdkVersion = asString(resource.get('telemetry.sdk.version'));
  if (sdkName || sdkVersion) {
    aws.xray = {
      ...(sdkName ? { sdk: sdkLanguage ? `${sdkName} for ${sdkLanguage}` : sdkName } : {}),
      ...(sdkVersion ? { sdk_version: sdkVersion } : {}),
      auto_instrumentation: resource.has('telemetry.auto.version'),
    };
  }
  return Object.keys(aws).length > 0 ? aws : undefined;
}

function makeSql(span: OtlpSpan, consumed: Set<string>): Record<string, unknown> | undefined {
  const attrs = span.attributes;
  const system = asString(attrs.get('db.system.name') ?? attrs.get('db.system'));
  if (system === undefined || !SQL_SYSTEMS.has(system)) return undefined;
  const local = new Set<string>();
  take(attrs, local, 'db.system.name', 'db.system');
  const connection = asString(take(attrs, local, 'db.connection_string')) || 'localhost';
  const database = asString(take(attrs, local, 'db.namespace', 'db.name')) ?? '';
  const user = asString(take(attrs, local, 'db.user'));
  const statement = asString(take(attrs, local, 'db.query.text', 'db.statement'));
  for (const key of local) consumed.add(key);
  // The exporter's choice: the span name as `url`, the connection string and database as `connection_string`.
  const sql: Record<string, unknown> = {
    url: span.name,
    connection_string: `${connection}/${database}`,
    database_type: system,
  };
  if (user) sql.user = user;
  if (statement) sql.sanitized_query = statement;
  return sql;
}

function annotationValue(value: AttributeValue): string | number | boolean | undefined {
  return typeof value === 'object' ? undefined : value;
}

/** X-Ray annotation keys: letters, digits and underscore (the exporter's allowDot gate is not followed). */
const annotationKey = (key: string) => key.replace(/[^A-Za-z0-9]/g, '_');

function addAnnotationsAndMetadata(
  doc: SegmentDoc,
  attrs: Attributes,
  resource: Attributes,
  consumed: Set<string>,
  storeResource: boolean,
  indexedAttributes: readonly string[],
): void {
  const indexed = new Set(indexedAttributes);
  const listed = attrs.get(ANNOTATIONS_ATTRIBUTE);
  if (Array.isArray(listed)) for (const key of listed) if (typeof key === 'string') indexed.add(key);
  const annotations: Record<string, string | number | boolean> = {};
  const metadata: Record<string, Record<string, unknown>> = {};
  const defaults: Record<string, unknown> = {};
  const user = asString(attrs.get('enduser.id'));
  if (user) doc.user = user;
  if (storeResource) {
    for (const [key, value] of resource) {
      const full = `otel.resource.${key}`;
      const annotation = annotationValue(value);
      if (annotation !== undefined && indexed.has(full)) annotations[annotationKey(full)] = annotation;
      else defaults[full] = value;
    }
  }
  for (const [key, value] of attrs) {
    if (key === ANNOTATIONS_ATTRIBUTE || key === 'enduser.id') continue;
    // An indexed attribute is an annotation even when a rule above already read it.
    if (indexed.has(key)) {
      const annotation = annotationValue(value);
      if (annotation !== undefined) annotations[annotationKey(key)] = annotation;
      continue;
    }
    if (consumed.has(key)) continue;
    if (key.startsWith(METADATA_PREFIX) && typeof value === 'string') {
      const namespace = key.slice(METADATA_PREFIX.length);
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) defaults[key] = value;
      else if (namespace.toLowerCase() === 'default') Object.assign(defaults, parsed);
      else metadata[namespace] = parsed as Record<string, unknown>;
      continue;
    }
    defaults[key] = value;
  }
  if (Object.keys(defaults).length > 0) metadata.default = defaults;
  if (Object.keys(annotations).length > 0) doc.annotations = annotations;
  if (Object.keys(metadata).length > 0) doc.metadata = metadata;
}

function awsOrigin(resource: Attributes): string | undefined {
  const provider = asString(resource.get('cloud.provider'));
  if (provider !== undefined && provider !== 'aws') return undefined;
  switch (asString(resource.get('cloud.platform'))) {
    case 'aws_app_runner':
      return 'AWS::AppRunner::Service';
    case 'aws_eks':
      return 'AWS::EKS::Container';
    case 'aws_elastic_beanstalk':
      return 'AWS::ElasticBeanstalk::Environment';
    case 'aws_ec2':
      return 'AWS::EC2::Instance';
    case 'aws_ecs': {
      const launch = asString(resource.get('aws.ecs.launchtype'));
      if (launch === 'ec2') return 'AWS::ECS::EC2';
      if (launch === 'fargate') return 'AWS::ECS::Fargate';
      return 'AWS::ECS::Container';
    }
    default:
      return undefined;
  }
}
