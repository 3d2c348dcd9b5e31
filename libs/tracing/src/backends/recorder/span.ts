import { TRACE_KEPT_ANNOTATION } from '@parcel/sampling-rules';
import { type DaemonClient, newSegmentId } from '@parcel/xray-protocol';
import { KeepDecision } from '../../keep';
import type {
  AnnotationValue,
  AwsFields,
  HttpFields,
  KeepReason,
  Span,
  SpanNamespace,
  SqlFields,
} from '../../span';
import { causeOf } from './exception';

type HttpDoc = {
  request?: Record<string, unknown>;
  response?: { status?: number; content_length?: number };
};

/**
 * The document itself: a plain object, serialised as is with one `JSON.stringify` (no class instances, no
 * back references in it). Subsegment documents nest in `subsegments`.
 */
export interface Doc {
  id: string;
  name: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  trace_id?: string;
  parent_id?: string;
  type?: 'subsegment';
  origin?: string;
  service?: { version?: string };
  namespace?: string;
  http?: HttpDoc;
  aws?: Record<string, unknown>;
  sql?: SqlFields;
  annotations?: Record<string, AnnotationValue>;
  metadata?: Record<string, Record<string, unknown>>;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  cause?: unknown;
  traced?: boolean;
  subsegments?: Doc[];
}

/** What every segment of the process shares: where documents go and what the keep rules are. */
export interface Recorder {
  readonly daemon: DaemonClient;
  readonly sdkData: Record<string, unknown>;
  readonly origin: string | undefined;
  /** Past this many subsegments in memory, a sampled segment sends finished subsegments on their own. */
  readonly streamingThreshold: number;
  /** An unsampled request this slow (ms) is kept; 0 = never for latency. */
  keepSlowMs: number;
  /** Called once per segment: what became of it. */
  finished(segment: LeanSegment, outcome: 'sampled' | KeepReason | 'discarded'): void;
}

const now = () => Date.now() / 1000;
/** An unsampled segment cannot stream before it is kept: beyond this many subsegments they are not kept. */
const UNSAMPLED_SUBSEGMENT_CAP = 200;
/** A segment that ended with subsegments still open is sent anyway after this long (they read in_progress). */
const OPEN_SUBSEGMENT_GRACE_MS = 1000;

export class LeanSpan implements Span {
  readonly propagates = true;
  ended = false;
  /** Children not yet ended (a subsegment is streamed only once all of its own are done). */
  openChildren = 0;

  constructor(
    readonly doc: Doc,
    readonly segment: LeanSegment,
    readonly parent: LeanSpan | undefined,
    /** False for a subsegment past the unsampled cap: it has an id (for Parent) but is not in the tree. */
    readonly attached: boolean,
  ) {}

  get id(): string {
    return this.doc.id;
  }
  get recording(): boolean {
    return this.segment.sampled;
  }
  annotate(key: string, value: AnnotationValue): void {
    if (typeof value === 'number' && !Number.isFinite(value)) return;
    if (this.doc.annotations === undefined) this.doc.annotations = {};
    this.doc.annotations[key] = value;
  }
  addMetadata(key: string, value: unknown, namespace = 'default'): void {
    if (namespace === '__proto__' || key === '__proto__') return;
    if (this.doc.metadata === undefined) this.doc.metadata = {};
    let ns = this.doc.metadata[namespace];
    if (ns === undefined) {
      ns = {};
      this.doc.metadata[namespace] = ns;
    }
    ns[key] = value ?? '';
  }
  activate<T>(fn: () => T): T {
    return fn();
  }
  setName(name: string): void {
    this.doc.name = name;
  }
  setHttp(data: HttpFields): void {
    if (data.traced) this.doc.traced = true;
    const current = this.doc.http;
    if (current === undefined) {
      const http: HttpDoc = {};
      if (data.request) http.request = data.request;
      if (data.response) http.response = data.response;
      this.doc.http = http;
      return;
    }
    if (data.request) current.request = { ...current.request, ...data.request };
    if (data.response) current.response = { ...current.response, ...data.response };
  }
  setAws(aws: AwsFields): void {
    this.doc.aws = { ...aws };
  }
  setSql(sql: SqlFields): void {
    this.doc.sql = sql;
  }
  markError(): void {
    this.doc.error = true;
  }
  markFault(): void {
    this.doc.fault = true;
  }
  markThrottle(): void {
    this.doc.throttle = true;
  }
  recordException(err: unknown, opts: { remote?: boolean; asError?: boolean } = {}): void {
    this.doc.cause = causeOf(err, opts.remote ?? false);
    if (opts.asError) this.doc.error = true;
    else this.doc.fault = true;
  }

  noteDownstreamFailure(): void {
    const keep = this.segment.keep;
    if (keep) keep.downstreamFailed = true;
  }
  noteDownstreamKept(): void {
    const keep = this.segment.keep;
    if (keep) keep.downstreamKept = true;
  }

  startChild(name: string, namespace?: SpanNamespace): LeanSpan {
    const segment = this.segment;
    const doc: Doc = { id: newSegmentId(), name, start_time: now() };
    if (namespace) doc.namespace = namespace;
    const attach = segment.sampled || segment.inMemory < UNSAMPLED_SUBSEGMENT_CAP;
    const sub = new LeanSpan(doc, segment, this, attach);
    if (attach) {
      if (this.doc.subsegments === undefined) this.doc.subsegments = [doc];
      else this.doc.subsegments.push(doc);
      segment.inMemory++;
      this.openChildren++;
      segment.open++;
    }
    return sub;
  }

  end(err?: unknown, endTime?: number): void {
    if (this.ended) return;
    this.ended = true;
    if (err !== undefined) this.recordException(err);
    this.doc.end_time = endTime ?? now();
    this.closed();
  }

  protected closed(): void {
    if (!this.attached || !this.parent) return;
    const segment = this.segment;
    this.parent.openChildren--;
    segment.open--;
    if (
      segment.sampled &&
      this.openChildren === 0 &&
      segment.inMemory > segment.recorder.streamingThreshold &&
      !segment.flushed
    ) {
      this.stream();
    }
    segment.childClosed();
  }

  /** Sends this finished subsegment on its own (`type: subsegment`) and drops it from the tree. */
  private stream(): void {
    const parentDoc = (this.parent as LeanSpan).doc;
    const siblings = parentDoc.subsegments;
    const at = siblings ? siblings.indexOf(this.doc) : -1;
    if (!siblings || at < 0) return;
    siblings.splice(at, 1);
    this.segment.inMemory -= countDocs(this.doc);
    const doc = this.doc;
    doc.trace_id = this.segment.doc.trace_id;
    doc.parent_id = parentDoc.id;
    doc.type = 'subsegment';
    this.segment.sendDoc(doc);
  }
}

function countDocs(doc: Doc): number {
  let n = 1;
  if (doc.subsegments) for (const sub of doc.subsegments) n += countDocs(sub);
  return n;
}

function markInProgress(doc: Doc): void {
  if (doc.end_time === undefined) doc.in_progress = true;
  if (doc.subsegments) for (const sub of doc.subsegments) markInProgress(sub);
}

/**
 * A request's segment. Sampled: sent when it and all its subsegments have ended. Unsampled (the edge said
 * no): recorded in memory just the same, then discarded at the end, unless the request failed, was slow,
 * or a call under it failed or was kept downstream; then it is sent, annotated `trace_kept`.
 */
export class LeanSegment extends LeanSpan {
  open = 0;
  inMemory = 0;
  flushed = false;
  /** Keep-on-error bookkeeping; only an unsampled segment has it. */
  readonly keep: KeepDecision | undefined;
  /** The sampling rule that sampled it, if this service decided. */
  rule: string | undefined;
  private requestFields: (() => Record<string, unknown>) | undefined;

  constructor(
    doc: Doc,
    readonly sampled: boolean,
    readonly recorder: Recorder,
    requestFields: (() => Record<string, unknown>) | undefined,
  ) {
    super(doc, undefined as unknown as LeanSegment, undefined, true);
    (this as { segment: LeanSegment }).segment = this;
    this.requestFields = requestFields;
    this.keep = sampled ? undefined : new KeepDecision(doc.start_time * 1000, recorder.keepSlowMs);
  }

  announceKeep(status: number): KeepReason | undefined {
    return this.keep?.announce(status);
  }

  protected override closed(): void {
    this.childClosed();
  }

  childClosed(): void {
    if (!this.ended || this.flushed) return;
    if (this.open === 0) {
      this.flush();
      return;
    }
    if (this.graceTimer === undefined) {
      this.graceTimer = setTimeout(() => this.flush(), OPEN_SUBSEGMENT_GRACE_MS);
      this.graceTimer.unref();
    }
  }
  private graceTimer: NodeJS.Timeout | undefined;

  private flush(): void {
    if (this.flushed) return;
    this.flushed = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    const doc = this.doc;
    if (this.keep) {
      const status = doc.http?.response?.status ?? 0;
      const reason = this.keep.reason(status, (doc.end_time ?? now()) * 1000);
      if (!reason) {
        this.recorder.finished(this, 'discarded');
        return;
      }
      this.annotate(TRACE_KEPT_ANNOTATION, reason);
      this.recorder.finished(this, reason);
    } else {
      this.recorder.finished(this, 'sampled');
    }
    if (this.requestFields) {
      const request = this.requestFields();
      doc.http = doc.http ? { request, ...doc.http } : { request };
      this.requestFields = undefined;
    }
    if (this.open > 0) markInProgress(doc);
    this.sendDoc(doc);
  }

  /** One datagram per document; the daemon client streams one too large for a datagram in parts. */
  sendDoc(doc: Doc): void {
    this.recorder.daemon.send(doc);
  }
}
