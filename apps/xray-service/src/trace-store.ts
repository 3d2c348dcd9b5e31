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
  /** Earliest start and latest end of the top-level segments, kept as documents arrive (epoch seconds). */
  startTime: number;
  endTime: number;
  view?: TraceView;
}

/** A trace found by a range query: its sort keys at hand, its analysis only when asked for. */
export interface TraceEntry {
  id: string;
  startTime: number;
  endTime: number;
  revision: number;
  view(): TraceView;
}

const endOf = (doc: SegmentDoc) => (typeof doc.end_time === 'number' ? doc.end_time : doc.start_time);

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
        startTime: Number.POSITIVE_INFINITY,
        endTime: Number.NEGATIVE_INFINITY,
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
    else {
      const replaced = trace.segments.has(doc.id);
      trace.segments.set(doc.id, doc);
      if (replaced) {
        // A re-sent segment may have moved its bounds: recompute them from scratch (rare).
        trace.startTime = Number.POSITIVE_INFINITY;
        trace.endTime = Number.NEGATIVE_INFINITY;
        for (const seg of trace.segments.values()) {
          trace.startTime = Math.min(trace.startTime, seg.start_time);
          trace.endTime = Math.max(trace.endTime, endOf(seg));
        }
      } else {
        trace.startTime = Math.min(trace.startTime, doc.start_time);
        trace.endTime = Math.max(trace.endTime, endOf(doc));
      }
    }
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
   * segments' event times (the trace overlaps the window), as X-Ray's TimeRangeType says. Nothing is
   * analysed unless the caller asks an entry for its view. A trace whose segments have not arrived yet
   * (only subsegments) is not listed.
   */
  *inRange(start: number, end: number, by: 'TraceId' | 'Event'): Generator<TraceEntry> {
    for (const trace of this.traces.values()) {
      if (trace.segments.size === 0) continue;
      if (by === 'TraceId') {
        if (trace.idTime < Math.floor(start) || trace.idTime > end) continue;
      } else if (trace.endTime < start || trace.startTime > end) continue;
      yield {
        id: trace.id,
        startTime: trace.startTime,
        endTime: trace.endTime,
        revision: trace.revision,
        view: () => this.analysed(trace),
      };
    }
  }

  private analysed(trace: StoredTrace): TraceView {
    if (!trace.view) trace.view = analyzeTrace(trace.id, trace.segments.values(), trace.subsegments.values());
    return trace.view;
  }
}
