import { DaemonClient, newSegmentId } from '@parcel/xray-protocol';
import type { Logger } from 'pino';
import { projectCaptures } from '../../capture/index';
import type {
  ExportStats,
  KeepReason,
  ProviderSettings,
  RequestFields,
  SamplingRequest,
  ServerSpanOptions,
  Span,
  TracingProvider,
} from '../../span';
import { keepStatsFor } from '../../stats';
import { type Doc, LeanSegment, type Recorder } from './span';

// Says honestly which recorder wrote the segment (the SDK writes its own name and version here).
const SDK_DATA = { sdk: 'X-Ray for Node.js', sdk_version: '1.0.0', package: '@parcel/tracing' };

function requestDoc(r: RequestFields): Record<string, unknown> {
  const out: Record<string, unknown> = { method: r.method, url: r.url };
  if (r.userAgent) out.user_agent = r.userAgent;
  if (r.clientIp) out.client_ip = r.clientIp;
  if (r.xForwardedFor) out.x_forwarded_for = true;
  return out;
}

export interface LeanProviderOptions {
  daemonAddress: string;
  keepSlowMs: number;
  /** False: unsampled requests record nothing (the keep-on-error protocol off; for measurement). */
  recordUnsampled: boolean;
  /** Decides sampling when the edge did not (centralised rules through the daemon): the X-Ray SDK's sampler. */
  sampler: () => (req: SamplingRequest) => boolean | string;
}

/**
 * `TRACING_BACKEND=xray`: the X-Ray daemon protocol spoken by a lean recorder. Segments are plain
 * objects, serialised once and sent in one datagram; the Express, AWS SDK v3, http/https and pg capture
 * are this package's own. The X-Ray SDK is kept for what it does well and off the request path: the
 * centralised sampling rules, used only when the edge left the decision to this service.
 */
export class RecorderProvider implements TracingProvider, Recorder {
  readonly backend = 'xray' as const;
  readonly keepsStats = true;
  readonly daemon: DaemonClient;
  readonly sdkData: Record<string, unknown> = SDK_DATA;
  readonly origin = process.env.ECS_CONTAINER_METADATA_URI_V4 ? 'AWS::ECS::Container' : undefined;
  readonly streamingThreshold = 100;
  keepSlowMs: number;
  recordsUnsampled: boolean;
  private decide: ((req: SamplingRequest) => boolean | string) | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly opts: LeanProviderOptions,
  ) {
    this.daemon = new DaemonClient(opts.daemonAddress);
    this.keepSlowMs = opts.keepSlowMs;
    this.recordsUnsampled = opts.recordUnsampled;
  }

  configure(settings: ProviderSettings): void {
    if (settings.daemonAddress !== undefined) this.daemon.setAddress(settings.daemonAddress);
    if (settings.keepSlowMs !== undefined) this.keepSlowMs = settings.keepSlowMs;
    if (settings.recordUnsampled !== undefined) this.recordsUnsampled = settings.recordUnsampled;
  }

  exportStats(): ExportStats {
    const { sent, dropped, droppedBy } = this.daemon.stats();
    return { transport: 'udp', sent, dropped, droppedBy };
  }

  decideSampling(req: SamplingRequest): boolean | string {
    if (!this.decide) {
      try {
        this.decide = this.opts.sampler();
      } catch (err) {
        this.logger.warn({ err }, 'sampling rules unavailable; sampling nothing locally');
        this.decide = () => false;
      }
    }
    return this.decide(req);
  }

  startServerSpan(opts: ServerSpanOptions): Span {
    const doc: Doc = {
      trace_id: opts.traceId,
      id: newSegmentId(),
      name: opts.name,
      start_time: Date.now() / 1000,
    };
    if (opts.parentId) doc.parent_id = opts.parentId;
    if (opts.serviceVersion) doc.service = { version: opts.serviceVersion };
    if (this.origin) doc.origin = this.origin;
    doc.aws = { xray: this.sdkData };
    const request = opts.request;
    const fields = typeof request === 'function' ? () => requestDoc(request()) : () => requestDoc(request);
    const segment = new LeanSegment(doc, opts.sampled, this, fields);
    if (opts.rule) segment.rule = opts.rule;
    return segment;
  }

  finished(segment: LeanSegment, outcome: 'sampled' | KeepReason | 'discarded'): void {
    const stats = keepStatsFor(segment.doc.name);
    if (outcome === 'sampled') stats.sampled(segment.rule);
    else stats.unsampled(outcome === 'discarded' ? undefined : outcome);
  }

  readonly instrumentAwsClient = projectCaptures.instrumentAwsClient;
  readonly instrumentHttpGlobal = projectCaptures.instrumentHttpGlobal;
  readonly instrumentPg = projectCaptures.instrumentPg;
}
