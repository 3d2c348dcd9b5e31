import { buildTraceModel, MAX_TRACE_DEPTH, type TraceModel } from '@parcel/trace-model';
import { type SegmentDoc, type SubsegmentDoc, traceIdEpochSeconds } from '@parcel/xray-protocol';

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
  /** Bytes of each stored document as received, by id; `bytes` is their sum. */
  readonly sizes = new Map<string, number>();
  bytes = 0;
  /** Nesting depth of every id seen (a root segment is 0), so a document past the limit is refused on arrival. */
  readonly depths = new Map<string, number>();
  /** Ids refused for depth: their children are too deep as well. */
  readonly tooDeep = new Set<string>();
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

/** XRAY_MAX_BYTES' default: 512 MiB of documents. */
export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
/** X-Ray caps a trace at about 500 KB of documents (REFERENCE.md, "Segment documents"). */
export const MAX_TRACE_BYTES = 500 * 1024;

export type RefusalCode = 'TraceTooLarge' | 'NestingTooDeep';
export interface Refusal {
  code: RefusalCode;
  message: string;
}

/**
 * The depth of the document and of every subsegment nested in it, given the depths already known in its
 * trace (a parent not yet seen counts as a root: the trace model cuts what still ends up too deep).
 * Undefined when something would sit deeper than `MAX_TRACE_DEPTH`. Iterative.
 */
function depthsOf(doc: SegmentDoc, known: Map<string, number> | undefined): [string, number][] | undefined {
  const parentDepth = doc.parent_id === undefined ? undefined : known?.get(doc.parent_id);
  const base = parentDepth === undefined ? 0 : parentDepth + 1;
  const out: [string, number][] = [];
  const stack: [SubsegmentDoc, number][] = [[doc, base]];
  while (stack.length > 0) {
    const [entry, depth] = stack.pop() as [SubsegmentDoc, number];
    if (depth > MAX_TRACE_DEPTH) return undefined;
    if (typeof entry.id === 'string') out.push([entry.id, depth]);
    if (Array.isArray(entry.subsegments)) {
      for (const child of entry.subsegments) {
        if (child && typeof child === 'object') stack.push([child, depth + 1]);
      }
    }
  }
  return out;
}

const endOf = (doc: SegmentDoc) => (typeof doc.end_time === 'number' ? doc.end_time : doc.start_time);

/**
 * A bounded, in-memory trace store. Segments and separately sent subsegments of one trace are grouped as
 * they arrive; a document re-sent with the same id replaces the earlier one (an in-progress segment being
 * closed). Bounded in bytes (the documents' size as received) and in traces: past either bound the
 * trace created first is evicted. Each trace is bounded as X-Ray bounds it (`MAX_TRACE_BYTES`), and a
 * document that would nest deeper than `MAX_TRACE_DEPTH` is refused: `put` says why.
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
  private totalBytes = 0;
  private readonly refused = new Map<RefusalCode, number>();

  constructor(
    private readonly maxTraces: number,
    private readonly maxBytes: number = DEFAULT_MAX_BYTES,
  ) {}

  /**
   * Stores a validated document of `bytes` bytes (its size as received). Returns why it was refused, or
   * undefined when it was stored; refusals are counted by code (`refusedCounts`).
   */
  put(doc: SegmentDoc, bytes: number = JSON.stringify(doc).length): Refusal | undefined {
    let trace = this.traces.get(doc.trace_id);
    const previous = trace?.sizes.get(doc.id) ?? 0;
    if (trace && trace.bytes - previous + bytes > MAX_TRACE_BYTES) {
      return this.refuse('TraceTooLarge', `the trace would exceed ${MAX_TRACE_BYTES} bytes`);
    }
    const underRefused = doc.parent_id !== undefined && trace?.tooDeep.has(doc.parent_id) === true;
    const depths = underRefused ? undefined : depthsOf(doc, trace?.depths);
    if (depths === undefined) {
      trace?.tooDeep.add(doc.id);
      return this.refuse('NestingTooDeep', `the document nests deeper than ${MAX_TRACE_DEPTH} levels`);
    }
    if (!trace) {
      trace = new StoredTrace(doc.trace_id);
      this.traces.set(doc.trace_id, trace);
      this.byCreation.push(trace);
    }
    for (const [id, depth] of depths) trace.depths.set(id, depth);
    trace.sizes.set(doc.id, bytes);
    trace.bytes += bytes - previous;
    this.totalBytes += bytes - previous;
    this.evictPastBounds(trace);
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
    return undefined;
  }

  private refuse(code: RefusalCode, message: string): Refusal {
    this.refused.set(code, (this.refused.get(code) ?? 0) + 1);
    return { code, message };
  }

  /** Evicts the oldest traces while past a bound; never the one being written. */
  private evictPastBounds(current: StoredTrace): void {
    while (this.traces.size > this.maxTraces || this.totalBytes > this.maxBytes) {
      const oldest = this.byCreation[this.head] as StoredTrace | undefined;
      if (!oldest || oldest === current) break;
      this.byCreation[this.head++] = undefined as unknown as StoredTrace; // let it be collected
      this.traces.delete(oldest.id);
      this.totalBytes -= oldest.bytes;
      this.evicted++;
    }
    if (this.head > 1024 && this.head * 2 > this.byCreation.length) {
      this.byCreation = this.byCreation.slice(this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.traces.size;
  }

  /** Bytes of the documents held, as received. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Documents refused, by reason. */
  get refusedCounts(): Record<string, number> {
    return Object.fromEntries(this.refused);
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
