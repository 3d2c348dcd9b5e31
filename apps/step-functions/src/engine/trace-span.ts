import { type Cause, newSegmentId, type SubsegmentDoc } from '@parcel/xray-protocol';

/**
 * A timed node of the execution's trace: the execution segment, a state, a branch, or a downstream call.
 * Spans are always built (cheap) and only sent when the execution is sampled.
 */
export class TraceSpan {
  readonly id = newSegmentId();
  readonly start = Date.now() / 1000;
  end: number | undefined;
  readonly children: TraceSpan[] = [];
  namespace: 'aws' | 'remote' | undefined;
  http: SubsegmentDoc['http'];
  aws: Record<string, unknown> | undefined;
  metadata: Record<string, unknown> | undefined;
  error = false;
  fault = false;
  throttle = false;
  cause: Cause | undefined;
  /** The downstream answered `X-Trace-Kept`: it kept its segment, so the path to it must be kept too. */
  downstreamKept = false;

  constructor(readonly name: string) {}

  child(name: string): TraceSpan {
    const span = new TraceSpan(name);
    this.children.push(span);
    return span;
  }

  /** Marks this span failed: 4xx-like errors are `error`, 429 `throttle`, the rest `fault` (X-Ray's split). */
  fail(kind: 'error' | 'fault' | 'throttle', type: string, message: string, remote = false): void {
    if (kind === 'throttle') {
      this.throttle = true;
      this.error = true;
    } else this[kind] = true;
    this.cause = { exceptions: [{ id: newSegmentId(), type, message: message.slice(0, 1000), remote }] };
  }

  close(): void {
    this.end ??= Date.now() / 1000;
  }

  toDoc(): SubsegmentDoc {
    const doc: SubsegmentDoc = {
      id: this.id,
      name: this.name.slice(0, 200),
      start_time: this.start,
      end_time: this.end ?? Date.now() / 1000,
    };
    if (this.namespace) doc.namespace = this.namespace;
    if (this.http) doc.http = this.http;
    if (this.aws) doc.aws = this.aws;
    if (this.metadata) doc.metadata = this.metadata;
    if (this.error) doc.error = true;
    if (this.throttle) doc.throttle = true;
    if (this.fault) doc.fault = true;
    if (this.cause) doc.cause = this.cause;
    if (this.children.length > 0) doc.subsegments = this.children.map((c) => c.toDoc());
    return doc;
  }
}

/** Whether anything below `span` (not `span` itself) faulted or reported a kept downstream segment. */
export function pathNeedsKeeping(span: TraceSpan): { failed: boolean; kept: boolean } {
  let failed = false;
  let kept = false;
  const visit = (s: TraceSpan) => {
    if (s.fault) failed = true;
    if (s.downstreamKept) kept = true;
    for (const c of s.children) visit(c);
  };
  for (const c of span.children) visit(c);
  return { failed, kept };
}

/** How a Step Functions error reads in a trace: API Gateway 4xx answers are errors, the rest faults. */
export function failureKind(error: string): 'error' | 'fault' | 'throttle' {
  const status = /^ApiGateway\.(\d{3})$/.exec(error)?.[1];
  if (status === '429') return 'throttle';
  if (status?.startsWith('4')) return 'error';
  if (/ConditionalCheckFailed|ValidationException|ResourceNotFound/.test(error)) return 'error';
  return 'fault';
}
