/**
 * The seam between services and a tracing SDK (after aws-powertools' ProviderService): services, the
 * capture in `capture/` and the helpers talk to `Span` and `TracingProvider` only; which SDK records
 * the spans is known only inside `backends/`. The fields are named as X-Ray names them (the project's
 * wire format); a backend that speaks another model (OpenTelemetry) maps them to its own.
 */
export type AnnotationValue = string | number | boolean;
export type SpanNamespace = 'remote' | 'aws' | 'local';

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KeepReason } from '@parcel/sampling-rules';

export type { KeepReason };

export interface HttpFields {
  request?: { method?: string; url?: string };
  response?: { status?: number; content_length?: number };
  /** The callee is traced too (it got our trace header): X-Ray's `traced` on a remote subsegment. */
  traced?: boolean;
}

/** What an AWS SDK call records (`aws` on an X-Ray subsegment). */
export interface AwsFields {
  operation: string;
  region?: string;
  request_id?: string;
  id_2?: string;
  retries: number;
  table_name?: string;
  queue_url?: string;
  state_machine_arn?: string;
  function_name?: string;
}

/** What a SQL call records (`sql` on an X-Ray subsegment). */
export interface SqlFields {
  url: string;
  database_type: string;
  database_version?: string;
  driver_version?: string;
  user?: string;
  preparation?: 'statement' | 'call';
  sanitized_query?: string;
}

export interface Span {
  /** The segment id that children and downstream calls name as Parent; undefined when nothing records. */
  readonly id: string | undefined;
  /** True when this span is recorded and sent. */
  readonly recording: boolean;
  /**
   * True when instrumentation writes the outbound trace header for calls made under this span (Parent =
   * the call's own subsegment); otherwise the package's propagation carries the incoming header on.
   */
  readonly propagates: boolean;
  /** A child span (subsegment) of this one; the no-op span's children are no-ops. */
  startChild(name: string, namespace?: SpanNamespace): Span;
  /**
   * Runs `fn` with this span current in the backend's own context too, for an SDK whose instrumentation
   * reads its own (the stock X-Ray SDK's cls namespace); the package's context is entered by the caller.
   */
  activate<T>(fn: () => T): T;
  /** Renames the span (an outbound call is named once its host is known). */
  setName(name: string): void;
  annotate(key: string, value: AnnotationValue): void;
  addMetadata(key: string, value: unknown, namespace?: string): void;
  setHttp(http: HttpFields): void;
  setAws(aws: AwsFields): void;
  setSql(sql: SqlFields): void;
  markError(): void;
  markFault(): void;
  markThrottle(): void;
  /** Attaches an exception as the cause (and marks fault unless `asError`: a 4xx-like failure). */
  recordException(err: unknown, opts?: { remote?: boolean; asError?: boolean }): void;
  /** Keep-on-error: a call made under this span failed (5xx, network error, AWS error, failed execution). */
  noteDownstreamFailure(): void;
  /** Keep-on-error: the callee kept its own segment of this trace (it answered `X-Trace-Kept`). */
  noteDownstreamKept(): void;
  /**
   * Ends the span; an error passed here is recorded as its cause (fault). `endTime` (epoch seconds) is when
   * the work really ended, if that was earlier than now. Idempotent.
   */
  end(err?: unknown, endTime?: number): void;
  /**
   * Only on the segment of an unsampled request that is recorded in memory: decides, as the response is
   * handed over with `status`, whether the segment will be kept, and remembers the answer.
   */
  announceKeep?(status: number): KeepReason | undefined;
}

export interface RequestFields {
  method: string;
  url: string;
  userAgent?: string;
  clientIp?: string;
  xForwardedFor?: boolean;
}

export interface ServerSpanOptions {
  name: string;
  traceId: string;
  parentId?: string;
  sampled: boolean;
  /** The sampling rule that sampled it (`upstream`: the caller's header decided). */
  rule?: string;
  serviceVersion?: string;
  /** Or a function: a provider that may never send the segment builds the fields only when it does. */
  request: RequestFields | (() => RequestFields);
  /** The exchange itself, for a backend whose stock middleware reads it (aws-xray-sdk-express). */
  exchange: { req: IncomingMessage; res: ServerResponse };
}

export interface SamplingRequest {
  serviceName: string;
  host?: string;
  method: string;
  path: string;
}

/** Minimal shape of an AWS SDK v3 client that a provider instruments. */
export interface AwsClientLike {
  middlewareStack: {
    // biome-ignore lint/suspicious/noExplicitAny: the smithy stack's generics differ per client; we add untyped middleware
    add(mw: any, opts: any): void;
    // biome-ignore lint/suspicious/noExplicitAny: as above
    addRelativeTo(mw: any, opts: any): void;
    // biome-ignore lint/suspicious/noExplicitAny: as above
    use(plugin: any): void;
    remove(name: string): boolean;
  };
}

/** Settings a later `initTracing` in the same process may change (tests run several services in one). */
export interface ProviderSettings {
  daemonAddress?: string;
  keepSlowMs?: number;
  recordUnsampled?: boolean;
}

export interface TracingProvider {
  readonly backend: 'xray' | 'xray-sdk' | 'otel' | 'off';
  /**
   * True when `startServerSpan` should be called for unsampled requests too (they are recorded in memory
   * and kept only on error, latency or a kept downstream); false: unsampled requests get the no-op span.
   */
  readonly recordsUnsampled: boolean;
  /** True when the provider counts what became of each request in the tracing stats. */
  readonly keepsStats: boolean;
  /**
   * Only called when the edge left the decision to us (no header, or `Sampled=?`): false, true, or the
   * name of the rule that sampled it.
   */
  decideSampling(req: SamplingRequest): boolean | string;
  startServerSpan(opts: ServerSpanOptions): Span;
  /** Instruments one AWS SDK v3 client; returns the name of the middleware that writes the header, if any. */
  instrumentAwsClient(client: AwsClientLike): string | undefined;
  /** Instruments the `http`/`https` modules globally (already wrapped for propagation by the caller). */
  instrumentHttpGlobal(name: (host: string, port: string | undefined) => string): void;
  /** Instruments `pg` (v8) globally. */
  /** `driverVersion`: the pg package's version, recorded as `driver_version` (`node-postgres <version>`). */
  instrumentPg(pg: unknown, driverVersion?: string): void;
  configure(settings: ProviderSettings): void;
  /** What left the process for the sidecar and what was dropped on the way (shown in the tracing stats). */
  exportStats(): ExportStats | undefined;
}

export interface ExportStats {
  /** Where documents or spans go: `udp` to the X-Ray daemon, `otlp` to a collector. */
  transport: 'udp' | 'otlp';
  sent: number;
  dropped: number;
  droppedBy: Record<string, number>;
}
