import type { SamplingRequest, ServerSpanOptions, Span, TracingProvider } from '../span';

/** A span that records nothing; the request context (and so header propagation) stays intact. */
export const NOOP_SPAN: Span = Object.freeze({
  id: undefined,
  recording: false,
  propagates: false,
  startChild: () => NOOP_SPAN,
  activate: <T>(fn: () => T): T => fn(),
  setName() {},
  annotate() {},
  addMetadata() {},
  setHttp() {},
  setAws() {},
  setSql() {},
  markError() {},
  markFault() {},
  markThrottle() {},
  recordException() {},
  noteDownstreamFailure() {},
  noteDownstreamKept() {},
  end() {},
});

/** `TRACING_BACKEND=off`: no SDK, no datagrams; the trace header is still carried on downstream. */
export class NoopProvider implements TracingProvider {
  readonly backend = 'off' as const;
  readonly recordsUnsampled = false;
  readonly keepsStats = false;
  decideSampling(_req: SamplingRequest): boolean {
    return false;
  }
  startServerSpan(_opts: ServerSpanOptions): Span {
    return NOOP_SPAN;
  }
  instrumentAwsClient(): string | undefined {
    return undefined;
  }
  instrumentHttpGlobal(): void {}
  instrumentPg(): void {}
  configure(): void {}
  exportStats(): undefined {
    return undefined;
  }
}
