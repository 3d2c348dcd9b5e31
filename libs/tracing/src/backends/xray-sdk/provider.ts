import http from 'node:http';
import https from 'node:https';
import type * as XRay from 'aws-xray-sdk-core';
import type { Logger } from 'pino';
import { capturePg } from '../../capture/pg';
import type {
  AnnotationValue,
  AwsClientLike,
  AwsFields,
  HttpFields,
  ProviderSettings,
  SamplingRequest,
  ServerSpanOptions,
  Span,
  SpanNamespace,
  SqlFields,
  TracingProvider,
} from '../../span';
import { loadXraySdk, makeNamespace, type SdkEntity, type XRaySdk } from './sdk';

export const XRAY_AWS_MIDDLEWARE = 'XRaySDKInstrumentation';

function toError(err: unknown): Error | string {
  if (err instanceof Error || typeof err === 'string') return err;
  try {
    return new Error(`non-Error thrown: ${JSON.stringify(err)}`);
  } catch {
    return new Error('non-Error thrown');
  }
}

type MutableEntity = SdkEntity & {
  http?: Record<string, unknown>;
  namespace?: string;
  service?: { version?: string };
  fault?: boolean;
  end_time?: number;
  error?: boolean;
  traced?: boolean;
  aws?: Record<string, unknown>;
};

/** A span backed by an X-Ray SDK segment or subsegment. */
export class XraySpan implements Span {
  readonly propagates = true;
  private ended = false;
  constructor(readonly entity: SdkEntity) {}

  get id(): string {
    return this.entity.id;
  }
  get recording(): boolean {
    const e = this.entity as SdkEntity & { segment?: { notTraced?: boolean }; notTraced?: boolean };
    return !e.notTraced && !e.segment?.notTraced;
  }
  annotate(key: string, value: AnnotationValue): void {
    this.entity.addAnnotation(key, value);
  }
  addMetadata(key: string, value: unknown, namespace?: string): void {
    this.entity.addMetadata(key, value, namespace);
  }
  startChild(name: string, namespace?: SpanNamespace): Span {
    const p = this.entity as SdkEntity & { notTraced?: boolean };
    const sub = (
      p.notTraced ? p.addNewSubsegmentWithoutSampling(name) : p.addNewSubsegment(name)
    ) as MutableEntity;
    if (namespace) sub.namespace = namespace;
    return wrap(sub);
  }
  setName(name: string): void {
    (this.entity as { name: string }).name = name;
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
  noteDownstreamFailure(): void {}
  noteDownstreamKept(): void {}
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
  end(err?: unknown, endTime?: number): void {
    if (this.ended) return;
    this.ended = true;
    // Segment.close keeps an end_time already set; a subsegment's close overwrites it (not used here).
    if (endTime !== undefined) (this.entity as MutableEntity).end_time = endTime;
    if (err !== undefined) this.entity.close(toError(err));
    else this.entity.close();
  }
}

const wrapped = new WeakMap<SdkEntity, XraySpan>();
function wrap(entity: SdkEntity): XraySpan {
  let span = wrapped.get(entity);
  if (!span) {
    span = new XraySpan(entity);
    wrapped.set(entity, span);
  }
  return span;
}

/** The stock X-Ray SDK path (kept as the benchmark's reference, `backend: 'xray-sdk'`): segments recorded by aws-xray-sdk-core and sent to the daemon over UDP. */
export class XrayProvider implements TracingProvider {
  readonly backend = 'xray-sdk' as const;
  readonly recordsUnsampled = false;
  readonly keepsStats = false;
  private readonly sdk: XRaySdk;

  constructor(logger: Logger, daemonAddress: string) {
    const namespace = makeNamespace(
      (span) => (span instanceof XraySpan ? span.entity : undefined),
      (entity) => wrap(entity),
    );
    this.sdk = loadXraySdk(namespace).sdk;
    this.sdk.setLogger(sdkLogger(logger));
    this.sdk.setDaemonAddress(daemonAddress);
    if (process.env.ECS_CONTAINER_METADATA_URI_V4) this.sdk.SegmentUtils.setOrigin('AWS::ECS::Container');
  }

  configure(settings: ProviderSettings): void {
    if (settings.daemonAddress !== undefined) this.sdk.setDaemonAddress(settings.daemonAddress);
  }

  exportStats(): undefined {
    // The SDK's emitter counts nothing it could report.
    return undefined;
  }

  decideSampling(req: SamplingRequest): boolean | string {
    // `sampler` is on the middleware utils at run time but missing from the SDK's typings.
    const sampler = (this.sdk.middleware as unknown as { sampler: { shouldSample(r: object): unknown } })
      .sampler;
    const decision = sampler.shouldSample({
      host: req.host,
      httpMethod: req.method,
      urlPath: req.path,
      serviceName: req.serviceName,
    });
    return typeof decision === 'string' ? decision : decision === true;
  }

  startServerSpan(opts: ServerSpanOptions): Span {
    const segment = new this.sdk.Segment(opts.name, opts.traceId, opts.parentId ?? null) as MutableEntity &
      InstanceType<XRaySdk['Segment']>;
    if (!opts.sampled) segment.notTraced = true;
    const request = typeof opts.request === 'function' ? opts.request() : opts.request;
    segment.http = {
      request: {
        method: request.method,
        url: request.url,
        ...(request.userAgent ? { user_agent: request.userAgent } : {}),
        ...(request.clientIp ? { client_ip: request.clientIp } : {}),
        ...(request.xForwardedFor ? { x_forwarded_for: true } : {}),
      },
    };
    if (opts.serviceVersion) segment.service = { version: opts.serviceVersion };
    return wrap(segment);
  }

  instrumentAwsClient(client: AwsClientLike): string | undefined {
    this.sdk.captureAWSv3Client(client as never);
    return XRAY_AWS_MIDDLEWARE;
  }

  instrumentHttpGlobal(name: (host: string, port: string | undefined) => string): void {
    // Called back before the subsegment closes: rename it (loopback hosts all look alike).
    const rename = (
      subsegment: { name: string },
      req: { host?: string; socket?: { remotePort?: number } },
    ) => {
      const hostHeader = typeof req?.host === 'string' ? req.host : subsegment.name;
      const port = (req as { getHeader?: (h: string) => unknown }).getHeader?.('host');
      const portPart = typeof port === 'string' && port.includes(':') ? port.split(':').pop() : undefined;
      subsegment.name = name(hostHeader, portPart);
    };
    this.sdk.captureHTTPsGlobal(http as never, true, rename as never);
    this.sdk.captureHTTPsGlobal(https as never, true, rename as never);
  }

  instrumentPg(pg: unknown): void {
    capturePg(pg);
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
