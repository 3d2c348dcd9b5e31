import { type SegmentDoc, traceIdEpochSeconds } from '@parcel/xray-protocol';
import { analyzeTrace, type TraceView } from './trace-analysis';

/** One trace as stored: its documents by id, and its analysis, rebuilt lazily after a change. */
interface StoredTrace {
  id: string;
  /** Epoch seconds encoded in the trace id (TimeRangeType TraceId). */
  idTime: number;
  segments: Map<string, SegmentDoc>;
  /** Subsegments sent on their own (`type: "subsegment"`), by id. */
  subsegments: Map<string, SegmentDoc>;
  /** Bumped on every accepted document; the summary's `Revision`. */
  revision: number;
  view?: TraceView;
}

/**
 * A bounded, in-memory trace store. Segments and separately sent subsegments of one trace are grouped as
 * they arrive; a document re-sent with the same id replaces the earlier one (an in-progress segment being
 * closed). When more than `maxTraces` traces are held, the one created first is evicted.
 */
export class TraceStore {
  private readonly traces = new Map<string, StoredTrace>();
  private evicted = 0;

  constructor(private readonly maxTraces: number) {}

  put(doc: SegmentDoc): void {
    let trace = this.traces.get(doc.trace_id);
    if (!trace) {
      trace = {
        id: doc.trace_id,
        idTime: traceIdEpochSeconds(doc.trace_id),
        segments: new Map(),
        subsegments: new Map(),
        revision: 0,
      };
      this.traces.set(doc.trace_id, trace);
      // Map iteration order is insertion order: the first key is the oldest trace.
      while (this.traces.size > this.maxTraces) {
        const oldest = this.traces.keys().next().value as string;
        this.traces.delete(oldest);
        this.evicted++;
      }
    }
    if (doc.type === 'subsegment') trace.subsegments.set(doc.id, doc);
    else trace.segments.set(doc.id, doc);
    trace.revision++;
    trace.view = undefined;
  }

  get size(): number {
    return this.traces.size;
  }

  get evictedCount(): number {
    return this.evicted;
  }

  /** The analysed trace, or undefined if it is not (or no longer) held. */
  view(traceId: string): TraceView | undefined {
    const trace = this.traces.get(traceId);
    return trace ? this.analysed(trace) : undefined;
  }

  revision(traceId: string): number {
    return this.traces.get(traceId)?.revision ?? 0;
  }

  /**
   * Traces whose time falls in [start, end] (epoch seconds): by the time in the trace id, or by the
   * segments' event times (the trace overlaps the window), as X-Ray's TimeRangeType says.
   */
  *inRange(
    start: number,
    end: number,
    by: 'TraceId' | 'Event',
  ): Generator<{ view: TraceView; revision: number }> {
    for (const trace of this.traces.values()) {
      if (by === 'TraceId') {
        if (trace.idTime < Math.floor(start) || trace.idTime > end) continue;
        yield { view: this.analysed(trace), revision: trace.revision };
      } else {
        const view = this.analysed(trace);
        if (view.endTime < start || view.startTime > end) continue;
        yield { view, revision: trace.revision };
      }
    }
  }

  private analysed(trace: StoredTrace): TraceView {
    if (!trace.view) trace.view = analyzeTrace(trace.id, trace.segments.values(), trace.subsegments.values());
    return trace.view;
  }
}
