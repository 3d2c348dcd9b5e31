import { TraceFlags } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { traceStorage } from '../../context';
import type { ExportStats } from '../../span';

const MAX_QUEUE = 2048;
const MAX_BATCH = 512;

/**
 * Batches ended spans and exports them off the request path: a request only pushes onto a bounded queue;
 * a timer (unref'd) hands batches to the OTLP exporter, one export at a time. What does not fit in the
 * queue, or an export that fails, is dropped and counted, never retried at the request's expense. A span
 * waits at most `delayMs` for its batch (OTEL_BSP_SCHEDULE_DELAY).
 */
export class CountingBatchExporter {
  private queue: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private exporting = false;
  private sent = 0;
  private readonly dropped = { queue_full: 0, export_failed: 0 };

  constructor(
    private readonly exporter: SpanExporter,
    private readonly delayMs: number,
  ) {}

  push(span: ReadableSpan): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.dropped.queue_full++;
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= MAX_BATCH) this.flushSoon(0);
    else this.flushSoon(this.delayMs);
  }

  stats(): ExportStats {
    const { queue_full, export_failed } = this.dropped;
    return {
      transport: 'otlp',
      sent: this.sent,
      dropped: queue_full + export_failed,
      droppedBy: { ...this.dropped },
    };
  }

  /** Exports what is queued now (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.exporting) {
      if (!this.exporting) this.exportBatch();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private flushSoon(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    // Outside any request's context: the exporter's own HTTP call must not become a request's subsegment.
    this.timer = traceStorage.exit(() =>
      setTimeout(() => {
        this.timer = undefined;
        this.exportBatch();
      }, delayMs),
    );
    this.timer.unref();
  }

  private exportBatch(): void {
    if (this.exporting || this.queue.length === 0) return;
    const batch = this.queue.splice(0, MAX_BATCH);
    this.exporting = true;
    traceStorage.exit(() =>
      this.exporter.export(batch, (result) => {
        this.exporting = false;
        if (result.code === ExportResultCode.SUCCESS) this.sent += batch.length;
        else this.dropped.export_failed += batch.length;
        if (this.queue.length > 0) this.flushSoon(0);
      }),
    );
  }
}

/** A span of an unsampled request that was kept after all: exported as sampled, with extra attributes. */
export function keptSpan(span: ReadableSpan, extra: Record<string, unknown> | undefined): ReadableSpan {
  const context = { ...span.spanContext(), traceFlags: TraceFlags.SAMPLED };
  const kept = Object.create(span) as ReadableSpan & { spanContext(): typeof context };
  Object.defineProperty(kept, 'spanContext', { value: () => context });
  if (extra) Object.defineProperty(kept, 'attributes', { value: { ...span.attributes, ...extra } });
  return kept;
}

/** What the processor needs to know of the span's request (the keep-on-error state lives with it). */
export interface SpanFate {
  /** undefined while the request is still deciding; then kept (with the server span's extra attributes) or not. */
  readonly decided: 'kept' | 'discarded' | undefined;
  /** A span ended before the decision: held until it is taken. */
  hold(span: ReadableSpan): void;
  readonly keptAttributes: Record<string, unknown> | undefined;
  readonly serverSpan: object;
}

/**
 * Sends sampled spans on as they end; spans of an unsampled request recorded for keep-on-error are held
 * by their request until it decides, then sent (as sampled) or forgotten.
 */
export class KeepOnErrorProcessor implements SpanProcessor {
  constructor(
    private readonly batch: CountingBatchExporter,
    private readonly fateOf: (span: ReadableSpan) => SpanFate | undefined,
  ) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (span.spanContext().traceFlags & TraceFlags.SAMPLED) {
      this.batch.push(span);
      return;
    }
    const fate = this.fateOf(span);
    if (!fate || fate.decided === 'discarded') return;
    if (fate.decided === 'kept') {
      this.batch.push(keptSpan(span, span === fate.serverSpan ? fate.keptAttributes : undefined));
      return;
    }
    fate.hold(span);
  }

  forceFlush(): Promise<void> {
    return this.batch.flush();
  }

  shutdown(): Promise<void> {
    return this.batch.flush();
  }
}
