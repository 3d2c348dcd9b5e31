import { buildTraceModel, type TraceModel } from '@parcel/trace-model';
import { type SegmentDoc, traceIdEpochSeconds } from '@parcel/xray-protocol';

/**
 * A trace held by the store: what range queries and filters read. The store hands out this record itself
 * (no per-query copies), so a 100,000-trace scan allocates nothing; `revision` changes with every accepted
 * document, which is what anything derived from the trace (a filter digest) is keyed on.
 */
export interface TraceEntry {
  readonly id: string;
  /** Earliest start and latest end of the top-level segments (epoch seconds). */
  readonly startTime: number;
  readonly endTime: number;
  readonly revision: number;
  /** The stored documents as received: segments, then separately sent subsegments. */
  documents(): SegmentDoc[];
  /** The trace model (assembly, summary fields, graph slice, root causes), built on first use after a change. */
  model(): TraceModel;
}

/** One trace as stored: its documents by id, and its analysis, rebuilt lazily after a change. */
class StoredTrace implements TraceEntry {
  /** Epoch seconds encoded in the trace id (TimeRangeType TraceId). */
  readonly idTime: number;
  readonly segments = new Map<string, SegmentDoc>();
  /** Subsegments sent on their own (`type: "subsegment"`), by id. */
  readonly subsegments = new Map<string, SegmentDoc>();
  /** Bumped on every accepted document; the summary's `Revision`. */
  revision = 0;
  /** Kept as documents arrive, so range queries and sorting never need the analysis. */
  startTime = Number.POSITIVE_INFINITY;
  endTime = Number.NEGATIVE_INFINITY;
  private built: TraceModel | undefined;
  private docs: SegmentDoc[] | undefined;

  constructor(readonly id: string) {
    this.idTime = traceIdEpochSeconds(id);
  }

  changed(): void {
    this.revision++;
    this.built = undefined;
    this.docs = undefined;
  }

  documents(): SegmentDoc[] {
    if (!this.docs) this.docs = [...this.segments.values(), ...this.subsegments.values()];
    return this.docs;
  }

  model(): TraceModel {
    if (!this.built) this.built = buildTraceModel(this.id, this.documents());
    return this.built;
  }
}

const endOf = (doc: SegmentDoc) => (typeof doc.end_time === 'number' ? doc.end_time : doc.start_time);

/**
 * A bounded, in-memory trace store. Segments and separately sent subsegments of one trace are grouped as
 * they arrive; a document re-sent with the same id replaces the earlier one (an in-progress segment being
 * closed). When more than `maxTraces` traces are held, the one created first is evicted.
 */
export class TraceStore {
  private readonly traces = new Map<string, StoredTrace>();
  /**
   * The same traces in creation order, oldest at `head` (eviction advances it; the array is compacted
   * now and then), so a scan can run newest first — what GetTraceSummaries wants: once its page is full,
   * older traces need no filter evaluation at all.
   */
  private byCreation: StoredTrace[] = [];
  private head = 0;
  private evicted = 0;

  constructor(private readonly maxTraces: number) {}

  put(doc: SegmentDoc): void {
    let trace = this.traces.get(doc.trace_id);
    if (!trace) {
      trace = new StoredTrace(doc.trace_id);
      this.traces.set(doc.trace_id, trace);
      this.byCreation.push(trace);
      while (this.traces.size > this.maxTraces) {
        const oldest = this.byCreation[this.head] as StoredTrace;
        this.byCreation[this.head++] = undefined as unknown as StoredTrace; // let it be collected
        this.traces.delete(oldest.id);
        this.evicted++;
      }
      if (this.head > 1024 && this.head * 2 > this.byCreation.length) {
        this.byCreation = this.byCreation.slice(this.head);
        this.head = 0;
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
    trace.changed();
  }

  get size(): number {
    return this.traces.size;
  }

  get evictedCount(): number {
    return this.evicted;
  }

  /** The trace's model, or undefined if it is not (or no longer) held. */
  model(traceId: string): TraceModel | undefined {
    return this.traces.get(traceId)?.model();
  }

  revision(traceId: string): number {
    return this.traces.get(traceId)?.revision ?? 0;
  }

  /**
   * Traces whose time falls in [start, end] (epoch seconds): by the time in the trace id, or by the
   * segments' event times (the trace overlaps the window), as X-Ray's TimeRangeType says. Nothing is
   * modelled unless the caller asks an entry for its model, and nothing is copied: the entries are the
   * stored records. A trace whose segments have not arrived yet (only subsegments) is not listed.
   */
  *inRange(start: number, end: number, by: 'TraceId' | 'Event'): Generator<TraceEntry> {
    for (const trace of this.traces.values()) {
      if (trace.segments.size === 0) continue;
      if (by === 'TraceId') {
        if (trace.idTime < Math.floor(start) || trace.idTime > end) continue;
      } else if (trace.endTime < start || trace.startTime > end) continue;
      yield trace;
    }
  }

  /** `inRange`, newest trace (by arrival) first. */
  *newestFirst(start: number, end: number, by: 'TraceId' | 'Event'): Generator<TraceEntry> {
    for (let i = this.byCreation.length - 1; i >= this.head; i--) {
      const trace = this.byCreation[i] as StoredTrace;
      if (trace.segments.size === 0) continue;
      if (by === 'TraceId') {
        if (trace.idTime < Math.floor(start) || trace.idTime > end) continue;
      } else if (trace.endTime < start || trace.startTime > end) continue;
      yield trace;
    }
  }
}
