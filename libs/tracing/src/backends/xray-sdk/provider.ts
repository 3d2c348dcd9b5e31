import type { ClientRequest, IncomingMessage } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import { TRACE_KEPT_ANNOTATION } from '@parcel/sampling-rules';
import { formatTraceHeader } from '@parcel/xray-protocol';
import type * as XRay from 'aws-xray-sdk-core';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { captureAwsKeepSignals } from '../../capture/aws-sdk';
import { hostOf, noteHttpKeepSignals } from '../../capture/http';
import { capturePg } from '../../capture/pg';
import { KeepDecision } from '../../keep';
import type {
  AnnotationValue,
  AwsClientLike,
  AwsFields,
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
import { loadXrayExpress, loadXraySdk, type SdkEntity, sdkDecision, type XRaySdk } from './sdk';

/** The name `captureAWSv3Client` gives its middleware (the trace header is written there). */
export const XRAY_AWS_MIDDLEWARE = 'XRaySDKInstrumentation';
const UPSTREAM_OR_LOCAL = new Set(['upstream', 'local']);

function toError(err: unknown): Error | string {
  if (err instanceof Error || typeof err === 'string') return err;
  try {
    return new Error(`non-Error thrown: ${JSON.stringify(err)}`);
  } catch {
    return new Error('non-Error thrown');
  }
}

type MutableEntity = SdkEntity & {
  name: string;
  http?: Record<string, unknown>;
  namespace?: string;
  service?: { version?: string };
  fault?: boolean;
  end_time?: number;
  error?: boolean;
  traced?: boolean;
  aws?: Record<string, unknown>;
  notTraced?: boolean;
  subsegments?: MutableEntity[];
  segment?: XRay.Segment;
};

/** Per request segment: what keep-on-error and the stats need beyond the SDK's own fields. */
interface SegmentState {
  service: string;
  rule: string | undefined;
  /** Only an unsampled segment recorded in memory has it. */
  keep: KeepDecision | undefined;
  finished: boolean;
}
const states = new WeakMap<object, SegmentState>();

function stateOf(entity: SdkEntity): SegmentState | undefined {
  const e = entity as MutableEntity;
  return states.get(e.segment ?? e);
}

/** Kept after all: the SDK sends a segment only when neither it nor its subsegments say `notTraced`. */
function markTraced(entity: MutableEntity): void {
  entity.notTraced = false;
  if (entity.subsegments) for (const sub of entity.subsegments) markTraced(sub);
}

/** A span backed by an X-Ray SDK segment or subsegment. */
class XraySpan implements Span {
  readonly propagates = true;
  protected ended = false;
  constructor(
    readonly entity: SdkEntity,
    protected readonly sdk: XRaySdk,
  ) {}

  get id(): string {
    return this.entity.id;
  }
  get recording(): boolean {
    const e = this.entity as MutableEntity;
    return !e.notTraced && !(e.segment as MutableEntity | undefined)?.notTraced;
  }
  startChild(name: string, namespace?: SpanNamespace): Span {
    const p = this.entity as MutableEntity;
    const sub = (
      p.notTraced ? p.addNewSubsegmentWithoutSampling(name) : p.addNewSubsegment(name)
    ) as MutableEntity;
    if (namespace) sub.namespace = namespace;
    return new XraySpan(sub, this.sdk);
  }
  activate<T>(fn: () => T): T {
    // The SDK's captures read the current entity from its own (cls-hooked) namespace.
    return this.sdk.getNamespace().runAndReturn(() => {
      this.sdk.setSegment(this.entity);
      return fn();
    });
  }
  setName(name: string): void {
    (this.entity as MutableEntity).name = name;
  }
  annotate(key: string, value: AnnotationValue): void {
    this.entity.addAnnotation(key, value);
  }
  addMetadata(key: string, value: unknown, namespace?: string): void {
    this.entity.addMetadata(key, value, namespace);
  }
  setHttp(data: HttpFields): void {
    const e = this.entity as MutableEntity;
    if (data.traced) e.traced = true;
    const current = (e.http ?? {}) as { request?: object; response?: object };
    e.http = {
      ...current,
      ...(data.request ? { request: { ...current.request, ...data.request } } : {}),
      ...(data.response ? { response: { ...current.response, ...data.response } } : {}),
    };
  }
  setAws(aws: AwsFields): void {
    (this.entity as MutableEntity).aws = { ...aws };
  }
  setSql(sql: SqlFields): void {
    (this.entity as XRay.Subsegment).addSqlData(sql as never);
  }
  markError(): void {
    this.entity.addErrorFlag();
  }
  markFault(): void {
    this.entity.addFaultFlag();
  }
  markThrottle(): void {
    this.entity.addThrottleFlag();
  }
  recordException(err: unknown, opts: { remote?: boolean; asError?: boolean } = {}): void {
    this.entity.addError(toError(err), opts.remote);
    if (opts.asError) {
      // The SDK always marks fault with a cause; a client-side failure is an error, not a fault.
      (this.entity as MutableEntity).fault = false;
      this.entity.addErrorFlag();
    }
  }
  noteDownstreamFailure(): void {
    const keep = stateOf(this.entity)?.keep;
    if (keep) keep.downstreamFailed = true;
  }
  noteDownstreamKept(): void {
    const keep = stateOf(this.entity)?.keep;
    if (keep) keep.downstreamKept = true;
  }
  end(err?: unknown, endTime?: number): void {
    if (this.ended) return;
    this.ended = true;
    if (err !== undefined) this.entity.close(toError(err));
    else this.entity.close();
    if (endTime !== undefined) (this.entity as MutableEntity).end_time = endTime;
  }
}

/**
 * The request's segment, opened by aws-xray-sdk-express's `openSegment` and closed by it when the response
 * finishes (its http fields, 4xx/429/5xx flags and the send are the SDK's own); `end` only adds a cause.
 */
class XraySegmentSpan extends XraySpan {
  override end(err?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (err !== undefined) this.entity.addError(toError(err));
  }
  announceKeep(status: number): KeepReason | undefined {
    // The segment ends when the response is handed over: the SDK's close keeps an end_time already set,
    // so the caller's own span never ends before ours.
    const e = this.entity as MutableEntity;
    e.end_time ??= Date.now() / 1000;
    return stateOf(this.entity)?.keep?.announce(status);
  }
}

/**
 * `TRACING_BACKEND=xray-sdk`: the stock way with the design card's packages. aws-xray-sdk-express opens
 * and closes the request's segment; aws-xray-sdk-core records the AWS SDK v3 calls (`captureAWSv3Client`)
 * and outbound http/https (`captureHTTPsGlobal`, subsegments renamed: it names them after the host, and
 * every stand-in is 127.0.0.1), decides sampling centrally through the daemon and sends the segments. The
 * pg capture is this package's (against the SDK's subsegments): aws-xray-sdk-postgres patches pg
 * internals that pg 8 moved. The SDK keeps its current segment in its own cls-hooked namespace (the public
 * API offers no other), so `activate` enters it beside the package's context.
 *
 * Keep-on-error is not in the SDK (an unsampled segment is never sent), so it is done here, as on the lean
 * recorder: an unsampled request is recorded as the SDK records it (`notTraced`), and when it failed,
 * ran slow, or a call under it failed or was kept downstream, it is marked traced before the SDK closes
 * it, so the SDK sends it after all. (An unsampled segment past the SDK's streaming threshold of 100 open
 * subsegments loses the ones the SDK streams early: the SDK skips their send.)
 *
 * `closeSegment` is not used: all it does is `addError(err)` on the segment, a fault even for the 4xx the
 * project answers an escaped client error with; `traceErrors` records the cause through `Span`.
 */
export class XrayProvider implements TracingProvider {
  readonly backend = 'xray-sdk' as const;
  readonly keepsStats = true;
  recordsUnsampled: boolean;
  private keepSlowMs: number;
  private readonly sdk: XRaySdk;
  private readonly openers = new Map<string, RequestHandler>();

  constructor(logger: Logger, opts: { daemonAddress: string; keepSlowMs: number; recordUnsampled: boolean }) {
    this.sdk = loadXraySdk('automatic');
    this.sdk.setLogger(sdkLogger(logger));
    this.sdk.setDaemonAddress(opts.daemonAddress);
    if (process.env.ECS_CONTAINER_METADATA_URI_V4) this.sdk.SegmentUtils.setOrigin('AWS::ECS::Container');
    this.keepSlowMs = opts.keepSlowMs;
    this.recordsUnsampled = opts.recordUnsampled;
  }

  configure(settings: ProviderSettings): void {
    if (settings.daemonAddress !== undefined) this.sdk.setDaemonAddress(settings.daemonAddress);
    if (settings.keepSlowMs !== undefined) this.keepSlowMs = settings.keepSlowMs;
    if (settings.recordUnsampled !== undefined) this.recordsUnsampled = settings.recordUnsampled;
  }

  exportStats(): undefined {
    // The SDK's emitter counts nothing it could report.
    return undefined;
  }

  decideSampling(req: SamplingRequest): boolean | string {
    return sdkDecision(this.sdk, req);
  }

  startServerSpan(opts: ServerSpanOptions): Span {
    const { res } = opts.exchange;
    const segment = this.openSegment(opts);
    segment.name = opts.name;
    if (opts.serviceVersion) segment.service = { version: opts.serviceVersion };
    if (opts.rule && !UPSTREAM_OR_LOCAL.has(opts.rule)) segment.setMatchedSamplingRule(opts.rule);
    const state: SegmentState = {
      service: opts.name,
      rule: opts.rule,
      keep: opts.sampled ? undefined : new KeepDecision(Date.now(), this.keepSlowMs),
      finished: false,
    };
    states.set(segment, state);
    // Registered after openSegment's own listeners, which close (and send) the segment on 'finish':
    // `prependListener` puts the final keep decision before them.
    const decide = () => this.finish(segment, state, res.statusCode);
    res.prependOnceListener('finish', decide);
    res.prependOnceListener('close', decide);
    return new XraySegmentSpan(segment, this.sdk);
  }

  /**
   * Runs aws-xray-sdk-express's `openSegment` for this request with the decision already taken: the SDK
   * reads the trace header, so it is handed `Root;Parent;Sampled=0|1` as decided (the project's parser
   * has read the incoming one, unknown fields and `Sampled=?` included) and the original is put back.
   */
  private openSegment(opts: ServerSpanOptions): MutableEntity & XRay.Segment {
    const { req, res } = opts.exchange;
    let open = this.openers.get(opts.name);
    if (!open) {
      open = loadXrayExpress().openSegment(opts.name) as RequestHandler;
      this.openers.set(opts.name, open);
    }
    const original = req.headers['x-amzn-trace-id'];
    req.headers['x-amzn-trace-id'] = formatTraceHeader({
      root: opts.traceId,
      ...(opts.parentId ? { parent: opts.parentId } : {}),
      sampled: opts.sampled ? '1' : '0',
      extra: [],
    });
    let segment: (MutableEntity & XRay.Segment) | undefined;
    try {
      // openSegment runs `next` inside the SDK's namespace with the new segment current: read it there.
      // The rest of the request runs in that namespace again through the span's `activate`.
      open(req as never, res as never, () => {
        segment = this.sdk.getSegment() as MutableEntity & XRay.Segment;
      });
    } finally {
      if (original === undefined) delete req.headers['x-amzn-trace-id'];
      else req.headers['x-amzn-trace-id'] = original;
    }
    if (!segment) throw new Error('aws-xray-sdk-express opened no segment');
    return segment;
  }

  private finish(segment: MutableEntity & XRay.Segment, state: SegmentState, status: number): void {
    if (state.finished) return;
    state.finished = true;
    const stats = keepStatsFor(state.service);
    if (!state.keep) {
      stats.sampled(state.rule);
      return;
    }
    const endMs = (segment.end_time ?? Date.now() / 1000) * 1000;
    const reason = state.keep.reason(status, endMs);
    stats.unsampled(reason);
    if (!reason) return;
    segment.addAnnotation(TRACE_KEPT_ANNOTATION, reason);
    markTraced(segment);
  }

  instrumentAwsClient(client: AwsClientLike): string | undefined {
    this.sdk.captureAWSv3Client(client as never);
    captureAwsKeepSignals(client, XRAY_AWS_MIDDLEWARE);
    return XRAY_AWS_MIDDLEWARE;
  }

  instrumentHttpGlobal(name: (host: string, port: string | undefined) => string): void {
    // Called back as the call ends, before the subsegment closes: name it, note keep-on-error signals.
    const onEnd = (
      subsegment: MutableEntity & XRay.Subsegment,
      req: ClientRequest | undefined,
      res: IncomingMessage | null | undefined,
      err?: unknown,
    ) => {
      if (req) {
        const { host, bareHost, port } = hostOf(req);
        subsegment.name = name(bareHost, port);
        // The SDK writes the URL from `req.host`, without the port: put it back once the SDK has written it.
        const record = subsegment.addRemoteRequestData.bind(subsegment);
        subsegment.addRemoteRequestData = (...args: Parameters<typeof record>) => {
          record(...args);
          const request = (subsegment.http as { request?: { url?: string } } | undefined)?.request;
          const path = req.path.split('?')[0] ?? '';
          if (request) request.url = `${req.protocol}//${host}${path}`;
        };
      }
      const span = new XraySpan(subsegment, this.sdk);
      if (err) span.noteDownstreamFailure();
      if (res) noteHttpKeepSignals(span, res);
    };
    this.sdk.captureHTTPsGlobal(http as never, true, onEnd as never);
    this.sdk.captureHTTPsGlobal(https as never, true, onEnd as never);
  }

  instrumentPg(pg: unknown, driverVersion?: string): void {
    capturePg(pg, driverVersion);
  }
}

/** The SDK's own log lines, routed into our JSON log at low levels: a dead daemon is not news per request. */
function sdkLogger(logger: Logger) {
  const child = logger.child({ component: 'xray-sdk' });
  const lastSeen = new Map<string, number>();
  return {
    error: (msg: string) => {
      const now = Date.now();
      if ((lastSeen.get(msg) ?? 0) > now - 60_000) return;
      if (lastSeen.size > 100) lastSeen.clear();
      lastSeen.set(msg, now);
      child.warn(msg);
    },
    warn: (msg: string) => child.debug(msg),
    info: (msg: string) => child.debug(msg),
    debug: (msg: string) => child.trace(msg),
  };
}
