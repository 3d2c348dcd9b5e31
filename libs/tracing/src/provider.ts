/**
 * The seam between services and a tracing SDK (after aws-powertools' ProviderService): services talk to
 * `Span` and the helpers in this package; only a provider knows which SDK records the spans. Adding an
 * OpenTelemetry provider (X-Ray propagator + id generator) means one more implementation of this file.
 */
export type AnnotationValue = string | number | boolean;
export type SpanNamespace = 'remote' | 'aws' | 'local';

import type { KeepReason } from '@parcel/sampling-rules';

export type { KeepReason };

export interface Span {
  /** The segment id that children and downstream calls name as Parent; undefined when nothing records. */
  readonly id: string | undefined;
  /** True when this span is recorded and sent. */
  readonly recording: boolean;
  /**
   * True when the provider's own instrumentation writes the outbound trace header for calls made under
   * this span; otherwise the package's propagation carries the incoming header on by itself.
   */
  readonly propagates: boolean;
  annotate(key: string, value: AnnotationValue): void;
  addMetadata(key: string, value: unknown, namespace?: string): void;
  setHttp(http: {
    request?: { method?: string; url?: string };
    response?: { status?: number; content_length?: number };
  }): void;
  markError(): void;
  markFault(): void;
  markThrottle(): void;
  /** Attaches an exception as the cause (and marks fault unless `asError`: a 4xx-like failure). */
  recordException(err: unknown, opts?: { remote?: boolean; asError?: boolean }): void;
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

export interface TracingProvider {
  readonly backend: 'xray' | 'xray-sdk' | 'off';
  /**
   * True when `startServerSpan` should be called for unsampled requests too (they are recorded in memory
   * and kept only on error, latency or a kept downstream); false: unsampled requests get the no-op span.
   */
  readonly recordsUnsampled: boolean;
  /**
   * Only called when the edge left the decision to us (no header, or `Sampled=?`): false, true, or the
   * name of the rule that sampled it.
   */
  decideSampling(req: SamplingRequest): boolean | string;
  startServerSpan(opts: ServerSpanOptions): Span;
  startSubsegment(parent: Span, name: string, namespace?: SpanNamespace): Span;
  /** Instruments one AWS SDK v3 client; returns the name of the middleware that writes the header, if any. */
  instrumentAwsClient(client: AwsClientLike): string | undefined;
  /** Instruments the `http`/`https` modules globally (already wrapped for propagation by the caller). */
  instrumentHttpGlobal(name: (host: string, port: string | undefined) => string): void;
  /** Instruments `pg` (v8) globally. */
  instrumentPg(pg: unknown): void;
  /** Points the provider at another daemon address (`host:port`). */
  setDaemonAddress(address: string): void;
}
