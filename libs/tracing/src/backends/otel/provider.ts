import {
  type AttributeValue,
  type Context,
  createContextKey,
  type Span as OtelApiSpan,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AWSXRayIdGenerator } from '@opentelemetry/id-generator-aws-xray';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AWSXRayRemoteSampler } from '@opentelemetry/sampler-aws-xray';
import {
  BasicTracerProvider,
  type IdGenerator,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVICE_NAME,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { TRACE_KEPT_ANNOTATION } from '@parcel/sampling-rules';
import type { Logger } from 'pino';
import { projectCaptures } from '../../capture/index';
import { traceStorage } from '../../context';
import { KeepDecision } from '../../keep';
import type {
  AnnotationValue,
  AwsFields,
  ExportStats,
  HttpFields,
  KeepReason,
  ProviderSettings,
  SamplingRequest,
  ServerSpanOptions,
  Span,
  SpanNamespace,
  SqlFields,
  TracingProvider,
} from '../../span';
import { keepStatsFor } from '../../stats';
import { CountingBatchExporter, KeepOnErrorProcessor, keptSpan, type SpanFate } from './export';

/** The collector's awsxray exporter reads this span attribute as the list of keys to index. */
const ANNOTATIONS_ATTRIBUTE = 'aws.xray.annotations';
/** A segment that ended with spans still open is decided anyway after this long (as the recorder does). */
const OPEN_SPAN_GRACE_MS = 1000;
/** The decision taken by the Express capture, for a server span that has no remote parent to follow. */
const DECISION = createContextKey('parcel.sampling.decision');

/** `1-5759e988-bd862e3fe1be46a994272793` → `5759e988bd862e3fe1be46a994272793`. */
export function otelTraceId(xrayTraceId: string): string {
  return xrayTraceId.slice(2, 10) + xrayTraceId.slice(11);
}

/**
 * Trace ids in X-Ray form (epoch seconds first) from `@opentelemetry/id-generator-aws-xray`, except that a
 * request continuing (or starting, with the id the project minted) a trace keeps that trace's id.
 */
class TraceIdGenerator implements IdGenerator {
  private readonly xray = new AWSXRayIdGenerator();
  next: string | undefined;
  generateTraceId(): string {
    const id = this.next;
    this.next = undefined;
    return id ?? this.xray.generateTraceId();
  }
  generateSpanId(): string {
    return this.xray.generateSpanId();
  }
}

/**
 * Parent-based: the edge's decision (the remote parent's sampled flag) stands, children follow their
 * parent. An unsampled span is still recorded (RECORD, not sampled) while keep-on-error is on, so that
 * the request can be kept after all. A server span without a remote parent follows the decision the
 * Express capture took (through `decideSampling`, i.e. AWSXRayRemoteSampler, when the edge left it to us).
 */
function keepOnErrorSampler(recordUnsampled: () => boolean): Sampler {
  const unsampled = {
    shouldSample: (): SamplingResult => ({
      decision: recordUnsampled() ? SamplingDecision.RECORD : SamplingDecision.NOT_RECORD,
    }),
    toString: () => 'KeepOnErrorRecordOnly',
  };
  const sampled = {
    shouldSample: (): SamplingResult => ({ decision: SamplingDecision.RECORD_AND_SAMPLED }),
    toString: () => 'Sampled',
  };
  const root: Sampler = {
    shouldSample: (ctx: Context) => (ctx.getValue(DECISION) === true ? sampled : unsampled).shouldSample(),
    toString: () => 'CaptureDecision',
  };
  return new ParentBasedSampler({
    root,
    remoteParentSampled: sampled,
    remoteParentNotSampled: unsampled,
    localParentSampled: sampled,
    localParentNotSampled: unsampled,
  });
}

/** Keep-on-error state of one request's server span (only an unsampled one has any). */
class SegmentFate implements SpanFate {
  decided: 'kept' | 'discarded' | undefined;
  keptAttributes: Record<string, unknown> | undefined;
  open = 0;
  serverEnded = false;
  status = 0;
  endMs = 0;
  private held: ReadableSpan[] = [];
  private grace: NodeJS.Timeout | undefined;

  constructor(
    readonly serverSpan: object,
    readonly keep: KeepDecision,
    private readonly service: string,
    private readonly annotationKeys: () => string[],
    private readonly push: (span: ReadableSpan) => void,
  ) {}

  hold(span: ReadableSpan): void {
    this.held.push(span);
  }

  childEnded(): void {
    this.open--;
    if (this.serverEnded && this.open === 0) this.decide();
  }

  serverDone(status: number, endMs: number): void {
    this.serverEnded = true;
    this.status = status;
    this.endMs = endMs;
    if (this.open === 0) this.decide();
    else {
      this.grace = setTimeout(() => this.decide(), OPEN_SPAN_GRACE_MS);
      this.grace.unref();
    }
  }

  private decide(): void {
    if (this.decided) return;
    if (this.grace) clearTimeout(this.grace);
    const reason = this.keep.reason(this.status, this.endMs);
    keepStatsFor(this.service).unsampled(reason);
    const held = this.held;
    this.held = [];
    if (!reason) {
      this.decided = 'discarded';
      return;
    }
    this.decided = 'kept';
    this.keptAttributes = {
      [TRACE_KEPT_ANNOTATION]: reason,
      [ANNOTATIONS_ATTRIBUTE]: [...new Set([...this.annotationKeys(), TRACE_KEPT_ANNOTATION])],
    };
    for (const span of held) {
      this.push(keptSpan(span, span === this.serverSpan ? this.keptAttributes : undefined));
    }
  }
}

function scalar(value: unknown): AttributeValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}

/** A span backed by an OpenTelemetry span; the X-Ray fields are written as the awsxray exporter reads them. */
class OtelSpan implements Span {
  readonly propagates = true;
  private ended = false;
  /** Annotation keys of this span, listed in `aws.xray.annotations` at its end. */
  private annotations: Set<string> | undefined;

  constructor(
    readonly span: OtelApiSpan,
    protected readonly provider: OtelProvider,
    readonly fate: SegmentFate | undefined,
  ) {}

  get id(): string {
    return this.span.spanContext().spanId;
  }
  get recording(): boolean {
    return (this.span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
  }
  startChild(name: string, namespace?: SpanNamespace): Span {
    const kind = namespace === 'aws' || namespace === 'remote' ? SpanKind.CLIENT : SpanKind.INTERNAL;
    const child = this.provider.tracer.startSpan(
      name,
      { kind, attributes: kind === SpanKind.CLIENT ? { 'peer.service': name } : {} },
      trace.setSpan(ROOT_CONTEXT, this.span),
    );
    if (this.fate) this.fate.open++;
    this.provider.track(child, this.fate);
    return new OtelSpan(child, this.provider, this.fate);
  }
  activate<T>(fn: () => T): T {
    // The captures are this package's and read its own context; no OTel instrumentation needs OTel's.
    return fn();
  }
  setName(name: string): void {
    this.span.updateName(name);
    this.span.setAttribute('peer.service', name);
  }
  annotate(key: string, value: AnnotationValue): void {
    if (typeof value === 'number' && !Number.isFinite(value)) return;
    this.span.setAttribute(key, value);
    this.annotations ??= new Set();
    this.annotations.add(key);
  }
  annotationKeys(): string[] {
    return this.annotations ? [...this.annotations] : [];
  }
  addMetadata(key: string, value: unknown, namespace = 'default'): void {
    // Attributes that are not annotations become the segment's metadata (default namespace).
    this.span.setAttribute(namespace === 'default' ? key : `${namespace}.${key}`, scalar(value ?? ''));
  }
  setHttp(http: HttpFields): void {
    if (http.request?.method) this.span.setAttribute(ATTR_HTTP_REQUEST_METHOD, http.request.method);
    if (http.request?.url) this.span.setAttribute(ATTR_URL_FULL, http.request.url);
    const status = http.response?.status;
    if (status !== undefined) {
      this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      // The exporter marks 5xx fault only from an ERROR status (4xx error and 429 throttle from the code).
      if (status >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    if (http.response?.content_length !== undefined) {
      this.span.setAttribute('http.response.body.size', http.response.content_length);
    }
  }
  setAws(aws: AwsFields): void {
    const attributes: Record<string, AttributeValue> = {
      'rpc.system': 'aws-api',
      'rpc.service': this.name(),
      'rpc.method': aws.operation,
    };
    if (aws.region) attributes['aws.region'] = aws.region;
    if (aws.request_id) attributes['aws.request_id'] = aws.request_id;
    if (aws.table_name) attributes['aws.dynamodb.table_names'] = [aws.table_name];
    if (aws.queue_url) attributes['aws.queue_url'] = aws.queue_url;
    if (aws.state_machine_arn) attributes['aws.step_functions.state_machine.arn'] = aws.state_machine_arn;
    this.span.setAttributes(attributes);
  }
  setSql(sql: SqlFields): void {
    const system = sql.database_type.toLowerCase();
    const database = /\/([^/?]+)(?:\?|$)/.exec(sql.url)?.[1];
    const attributes: Record<string, AttributeValue> = {
      // Stable names and the older ones: the awsxray exporter reads either.
      [ATTR_DB_SYSTEM_NAME]: system,
      'db.system': system,
      'db.connection_string': sql.url,
    };
    if (database) {
      attributes['db.namespace'] = database;
      attributes['db.name'] = database;
    }
    if (sql.user) attributes['db.user'] = sql.user;
    if (sql.sanitized_query) {
      attributes[ATTR_DB_QUERY_TEXT] = sql.sanitized_query;
      attributes['db.statement'] = sql.sanitized_query;
    }
    this.span.setAttributes(attributes);
  }
  // The awsxray exporter derives error (4xx) and throttle (429) from the HTTP status code alone, which
  // setHttp writes: OTel has no other way to say them.
  markError(): void {}
  markFault(): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR });
  }
  markThrottle(): void {}
  recordException(err: unknown, opts: { remote?: boolean; asError?: boolean } = {}): void {
    const exception = err instanceof Error ? err : { name: 'Error', message: String(scalar(err)) };
    this.span.recordException(exception);
    if (!opts.asError) {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
    }
  }
  noteDownstreamFailure(): void {
    if (this.fate) this.fate.keep.downstreamFailed = true;
  }
  noteDownstreamKept(): void {
    if (this.fate) this.fate.keep.downstreamKept = true;
  }
  end(err?: unknown, endTime?: number): void {
    if (this.ended) return;
    this.ended = true;
    if (err !== undefined) this.recordException(err);
    if (this.annotations) this.span.setAttribute(ANNOTATIONS_ATTRIBUTE, [...this.annotations]);
    this.span.end(endTime !== undefined ? endTime * 1000 : undefined);
    this.finished(endTime);
  }
  protected finished(_endTime: number | undefined): void {
    this.fate?.childEnded();
  }
  private name(): string {
    return (this.span as unknown as { name?: string }).name ?? 'AWS';
  }
}

/** The request's server span: a segment of its own (named by `aws.local.service`). */
class OtelServerSpan extends OtelSpan {
  private status = 0;

  override setHttp(http: HttpFields): void {
    super.setHttp(http);
    if (http.response?.status !== undefined) this.status = http.response.status;
  }
  announceKeep(status: number): KeepReason | undefined {
    return this.fate?.keep.announce(status);
  }
  protected override finished(endTime: number | undefined): void {
    if (this.fate) this.fate.serverDone(this.status, (endTime ?? Date.now() / 1000) * 1000);
    else keepStatsFor(this.serviceName).sampled(this.rule);
  }
  serviceName = '';
  rule: string | undefined;
}

/**
 * `TRACING_BACKEND=otel`: the OpenTelemetry JS SDK (2.x), exporting OTLP/HTTP to the collector sidecar
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, default http://127.0.0.1:4318), which turns spans into X-Ray segments
 * with its awsxray exporter. Trace ids in X-Ray form; spans carry the attributes that exporter maps, so
 * the segments match what the X-Ray backends write.
 *
 * The trace header is the project's (`X-Amzn-Trace-Id` read and written by libs/xray-protocol through
 * the Express and outbound captures), not `@opentelemetry/propagator-aws-xray`: that propagator yields
 * no context for a header without `Parent` or with `Sampled=?` (both are valid here: the edge may leave
 * the decision to the service) and drops `Lineage` and other fields the project must carry on.
 *
 * Keep-on-error as on the lean recorder: an unsampled request's spans are recorded (not sampled) and held
 * by `KeepOnErrorProcessor` until the request decides; a kept request's spans are exported as sampled,
 * its server span annotated `trace_kept`.
 */
export class OtelProvider implements TracingProvider {
  readonly backend = 'otel' as const;
  readonly keepsStats = true;
  recordsUnsampled: boolean;
  readonly tracer;
  private keepSlowMs: number;
  private readonly ids = new TraceIdGenerator();
  private readonly batch: CountingBatchExporter;
  private readonly sampler: AWSXRayRemoteSampler;
  private readonly fates = new WeakMap<object, SegmentFate>();

  constructor(
    private readonly logger: Logger,
    opts: {
      serviceName: string;
      daemonAddress: string;
      otlpEndpoint: string;
      exportDelayMs: number;
      keepSlowMs: number;
      recordUnsampled: boolean;
    },
  ) {
    this.keepSlowMs = opts.keepSlowMs;
    this.recordsUnsampled = opts.recordUnsampled;
    const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName });
    // The signal-specific variable wins, as the OTel exporter configuration specifies.
    const url =
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${opts.otlpEndpoint.replace(/\/$/, '')}/v1/traces`;
    this.batch = new CountingBatchExporter(new OTLPTraceExporter({ url }), opts.exportDelayMs);
    const provider = new BasicTracerProvider({
      resource,
      idGenerator: this.ids,
      sampler: keepOnErrorSampler(() => this.recordsUnsampled),
      spanProcessors: [new KeepOnErrorProcessor(this.batch, (span) => this.fateOf(span))],
    });
    this.tracer = provider.getTracer('@parcel/tracing');
    // Its pollers start now, outside any request: their HTTP calls are nobody's subsegments.
    this.sampler = traceStorage.exit(
      () => new AWSXRayRemoteSampler({ resource, endpoint: `http://${opts.daemonAddress}` }),
    );
  }

  private fateOf(span: ReadableSpan): SegmentFate | undefined {
    return this.fates.get(span);
  }

  configure(settings: ProviderSettings): void {
    if (settings.keepSlowMs !== undefined) this.keepSlowMs = settings.keepSlowMs;
    if (settings.recordUnsampled !== undefined) this.recordsUnsampled = settings.recordUnsampled;
    if (settings.daemonAddress !== undefined) {
      this.logger.debug({ daemonAddress: settings.daemonAddress }, 'otel: the sampler keeps its endpoint');
    }
  }

  exportStats(): ExportStats {
    return this.batch.stats();
  }

  /** Exports every span ended so far (tests). */
  flush(): Promise<void> {
    return this.batch.flush();
  }

  decideSampling(req: SamplingRequest): boolean {
    const result = this.sampler.shouldSample(
      ROOT_CONTEXT,
      this.ids.generateTraceId(),
      req.path,
      SpanKind.SERVER,
      {
        [ATTR_HTTP_REQUEST_METHOD]: req.method,
        [ATTR_URL_PATH]: req.path,
        ...(req.host ? { 'server.address': req.host.split(':')[0] ?? req.host } : {}),
        [ATTR_SERVICE_NAME]: req.serviceName,
      },
      [],
    );
    return result.decision === SamplingDecision.RECORD_AND_SAMPLED;
  }

  startServerSpan(opts: ServerSpanOptions): Span {
    const request = typeof opts.request === 'function' ? opts.request() : opts.request;
    const traceId = otelTraceId(opts.traceId);
    const parent = opts.parentId
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId,
          spanId: opts.parentId,
          traceFlags: opts.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        })
      : ROOT_CONTEXT.setValue(DECISION, opts.sampled);
    this.ids.next = traceId;
    const attributes: Record<string, AttributeValue> = {
      'aws.local.service': opts.name,
      [ATTR_HTTP_REQUEST_METHOD]: request.method,
      [ATTR_URL_FULL]: request.url,
    };
    if (request.userAgent) attributes[ATTR_USER_AGENT_ORIGINAL] = request.userAgent;
    if (request.clientIp) attributes[ATTR_CLIENT_ADDRESS] = request.clientIp;
    if (opts.serviceVersion) attributes['service.version'] = opts.serviceVersion;
    const otelSpan = this.tracer.startSpan(opts.name, { kind: SpanKind.SERVER, attributes }, parent);
    this.ids.next = undefined;
    let fate: SegmentFate | undefined;
    let server: OtelServerSpan;
    if (!opts.sampled) {
      fate = new SegmentFate(
        otelSpan,
        new KeepDecision(Date.now(), this.keepSlowMs),
        opts.name,
        () => server.annotationKeys(),
        (span) => this.batch.push(span),
      );
      // Every span of the request resolves to its fate through the server span's map entry.
      this.fates.set(otelSpan, fate);
    }
    server = new OtelServerSpan(otelSpan, this, fate);
    server.serviceName = opts.name;
    server.rule = opts.rule;
    return server;
  }

  /** Registers a child span of an unsampled request with that request's fate. */
  track(span: OtelApiSpan, fate: SegmentFate | undefined): void {
    if (fate) this.fates.set(span, fate);
  }

  readonly instrumentAwsClient = projectCaptures.instrumentAwsClient;
  readonly instrumentHttpGlobal = projectCaptures.instrumentHttpGlobal;
  readonly instrumentPg = projectCaptures.instrumentPg;
}
