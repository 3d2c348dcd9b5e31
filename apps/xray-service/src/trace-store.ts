import { deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  buildTraceModel,
  MAX_TRACE_DEPTH,
  type TraceModel,
  type TraceView,
  TraceViewCompactor,
} from '@parcel/trace-model';
import { type SegmentDoc, type SubsegmentDoc, traceIdEpochSeconds } from '@parcel/xray-protocol';

/**
 * A trace held by the store: what range queries and filters read. The store hands out this record itself
 * (no per-query copies), so a 100,000-trace scan allocates nothing; `revision` changes with every accepted
 * document.
 */
export interface TraceEntry {
  readonly id: string;
  /** Earliest start and latest end of the top-level segments (epoch seconds). */
  readonly startTime: number;
  readonly endTime: number;
  readonly revision: number;
  /** The stored documents as received: segments, then separately sent subsegments. */
  documents(): SegmentDoc[];
  /**
   * The trace model (assembly, summary fields, graph slice, root causes): kept while the trace is being
   * written to, rebuilt from the documents on each call once it is sealed (a page of summaries, one trace's
   * detail). Scans over many traces read `view()`.
   */
  model(): TraceModel;
  /** What filters, the service graph and the statistics read, kept per revision (compact once sealed). */
  view(): TraceView;
}

/** A trace's documents and the bookkeeping `put` needs: held as they are while hot, deflated once sealed. */
interface Contents {
  segments: Map<string, SegmentDoc>;
  /** Subsegments sent on their own (`type: "subsegment"`), by id. */
  subsegments: Map<string, SegmentDoc>;
  /** Bytes of each stored document as received, by id; the trace's `bytes` is their sum. */
  sizes: Map<string, number>;
  /** Nesting depth of every id seen (a root segment is 0), so a document past the limit is refused on arrival. */
  depths: Map<string, number>;
  /** Ids refused for depth: their children are too deep as well. */
  tooDeep: Set<string>;
}

type SealedContents = [SegmentDoc[], SegmentDoc[], [string, number][], [string, number][], string[]];

/**
 * Preset deflate dictionary: the vocabulary of X-Ray segment documents (field names and the values this
 * project's services send), so even a trace's first bytes compress as well as its last.
 */
const DOCUMENT_DICTIONARY = Buffer.from(
  [
    '"type":"subsegment"',
    '"namespace":"remote"',
    '"in_progress":true',
    '"cause":{"exceptions":[{"id":"","message":"","type":"","remote":true,"stack":[]}]}',
    '"sql":{"url":"","database_type":"PostgreSQL","database_version":"","user":"","sanitized_query":""}',
    '"metadata":{"default":{}}',
    '"user":"',
    '"error":true',
    '"fault":true',
    '"throttle":true',
    '"origin":"AWS::ApiGateway::Stage"',
    '"origin":"AWS::StepFunctions::StateMachine"',
    '"origin":"AWS::ECS::Container"',
    '"aws":{"operation":"GetItem","table_name":"","region":"eu-west-2","retries":0}',
    '"aws":{"operation":"StartSyncExecution","region":"eu-west-2"}',
    '"namespace":"aws"',
    '"http":{"request":{"method":"GET","url":"https://127.0.0.1:3000/parcels/","user_agent":"","client_ip":"127.0.0.1"},"response":{"status":200,"content_length":0}}',
    '"annotations":{"parcel_id":"","cache":"miss"}',
    '"subsegments":[{"id":"',
    '","name":"',
    '","start_time":',
    ',"end_time":',
    '{"id":"","trace_id":"1-","parent_id":"',
  ].join(','),
);

/**
 * A 4 KiB window (a parcel trace is about 4 KB of JSON) and a small hash table: zlib's default 32 KiB
 * window and level-8 memory make every one-shot call set up ~256 KiB, which cost more than compressing.
 */
const DEFLATE_OPTIONS = { dictionary: DOCUMENT_DICTIONARY, level: 6, windowBits: 12, memLevel: 5 };

const emptyContents = (): Contents => ({
  segments: new Map(),
  subsegments: new Map(),
  sizes: new Map(),
  depths: new Map(),
  tooDeep: new Set(),
});

/**
 * The models of sealed traces built lately, least recently used first: a page of summaries asked for again,
 * or a trace's detail, reuses them. A trace's entry goes when it changes or is evicted.
 */
class RecentModels {
  private readonly models = new Map<StoredTrace, TraceModel>();

  constructor(private readonly limit: number) {}

  get(trace: StoredTrace, build: () => TraceModel): TraceModel {
    let model = this.models.get(trace);
    if (model) this.models.delete(trace);
    else model = build();
    this.models.set(trace, model);
    if (this.models.size > this.limit) this.models.delete(this.models.keys().next().value as StoredTrace);
    return model;
  }

  forget(trace: StoredTrace): void {
    this.models.delete(trace);
  }
}

/** What every trace of a store shares. */
interface StoreShared {
  compactor: TraceViewCompactor;
  recentModels: RecentModels;
}

/**
 * One trace as stored. While hot (written to lately) its contents are held as parsed documents and its
 * model is cached; once sealed, the contents are one deflated buffer and only the compact view (built
 * when it was sealed) is kept. A document for a sealed trace unseals it.
 */
class StoredTrace implements TraceEntry {
  /** Epoch seconds encoded in the trace id (TimeRangeType TraceId). */
  readonly idTime: number;
  bytes = 0;
  /** Bumped on every accepted document; the summary's `Revision`. */
  revision = 0;
  /** Kept as documents arrive, so range queries and sorting never need the analysis. */
  startTime = Number.POSITIVE_INFINITY;
  endTime = Number.NEGATIVE_INFINITY;
  hasSegments = false;
  private open: Contents | undefined = emptyContents();
  private sealed: Buffer | undefined;
  private built: TraceModel | undefined;
  private viewed: TraceView | undefined;
  private docs: SegmentDoc[] | undefined;

  constructor(
    readonly id: string,
    private readonly shared: StoreShared,
  ) {
    this.idTime = traceIdEpochSeconds(id);
  }

  /** The contents, to write to: unseals a sealed trace (the caller marks it hot again). */
  contents(): Contents {
    if (!this.open) {
      const [segments, subsegments, sizes, depths, tooDeep] = this.unseal();
      this.open = {
        segments: new Map(segments.map((doc) => [doc.id, doc])),
        subsegments: new Map(subsegments.map((doc) => [doc.id, doc])),
        sizes: new Map(sizes),
        depths: new Map(depths),
        tooDeep: new Set(tooDeep),
      };
      this.sealed = undefined;
    }
    return this.open;
  }

  changed(): void {
    this.revision++;
    this.shared.recentModels.forget(this);
    this.built = undefined;
    this.viewed = undefined;
    this.docs = undefined;
  }

  documents(): SegmentDoc[] {
    if (this.docs) return this.docs;
    if (!this.open) {
      const [segments, subsegments] = this.unseal();
      return [...segments, ...subsegments];
    }
    this.docs = [...this.open.segments.values(), ...this.open.subsegments.values()];
    return this.docs;
  }

  model(): TraceModel {
    if (!this.open)
      return this.shared.recentModels.get(this, () => buildTraceModel(this.id, this.documents()));
    if (!this.built) this.built = buildTraceModel(this.id, this.documents());
    return this.built;
  }

  view(): TraceView {
    if (!this.viewed) this.viewed = this.shared.compactor.compact(this.model());
    return this.viewed;
  }

  /** Deflates the contents and lets go of everything but the compact view (built now if not yet). */
  seal(): void {
    if (!this.open) return;
    this.view();
    const { segments, subsegments, sizes, depths, tooDeep } = this.open;
    const sealed: SealedContents = [
      [...segments.values()],
      [...subsegments.values()],
      [...sizes],
      [...depths],
      [...tooDeep],
    ];
    const deflated = deflateRawSync(JSON.stringify(sealed), DEFLATE_OPTIONS);
    // A copy: zlib's result can be a slice of its 16 KiB output chunk, which would be held along with it.
    this.sealed = Buffer.from(deflated);
    this.open = undefined;
    this.built = undefined;
    this.docs = undefined;
  }

  private unseal(): SealedContents {
    const text = inflateRawSync(this.sealed as Buffer, DEFLATE_OPTIONS).toString('utf8');
    return JSON.parse(text) as SealedContents;
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

/** Traces kept hot (parsed, modelled) by default: a few seconds of this project's traffic. */
export const DEFAULT_HOT_TRACES = 256;

/**
 * A bounded, in-memory trace store. Segments and separately sent subsegments of one trace are grouped as
 * they arrive; a document re-sent with the same id replaces the earlier one (an in-progress segment being
 * closed). Bounded in bytes (the documents' size as received) and in traces: past either bound the
 * trace created first is evicted. Each trace is bounded as X-Ray bounds it (`MAX_TRACE_BYTES`), and a
 * document that would nest deeper than `MAX_TRACE_DEPTH` is refused: `put` says why.
 *
 * Memory: the `hotTraces` traces written to last are held as parsed documents with their model; every
 * other trace is sealed — its documents deflated, plus the compact view filters, the graph and the
 * statistics read, built once per revision when it is sealed — so 100,000 traces take a few KB each.
 * The models of the `hotTraces` sealed traces read last (summaries, detail) are kept as well.
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
  /** Unsealed traces, least recently written first. */
  private readonly hot = new Set<StoredTrace>();
  private readonly shared: StoreShared;
  private evicted = 0;
  private totalBytes = 0;
  private readonly refused = new Map<RefusalCode, number>();

  constructor(
    private readonly maxTraces: number,
    private readonly maxBytes: number = DEFAULT_MAX_BYTES,
    private readonly hotTraces: number = DEFAULT_HOT_TRACES,
  ) {
    if (!(hotTraces >= 1)) throw new RangeError('hotTraces must be at least 1');
    this.shared = { compactor: new TraceViewCompactor(), recentModels: new RecentModels(hotTraces) };
  }

  /**
   * Stores a validated document of `bytes` bytes (its size as received). Returns why it was refused, or
   * undefined when it was stored; refusals are counted by code (`refusedCounts`).
   */
  put(doc: SegmentDoc, bytes: number = JSON.stringify(doc).length): Refusal | undefined {
    let trace = this.traces.get(doc.trace_id);
    if (trace) this.markHot(trace);
    const contents = trace?.contents();
    const previous = contents?.sizes.get(doc.id) ?? 0;
    if (trace && trace.bytes - previous + bytes > MAX_TRACE_BYTES) {
      return this.refuse('TraceTooLarge', `the trace would exceed ${MAX_TRACE_BYTES} bytes`);
    }
    const underRefused = doc.parent_id !== undefined && contents?.tooDeep.has(doc.parent_id) === true;
    const depths = underRefused ? undefined : depthsOf(doc, contents?.depths);
    if (depths === undefined) {
      contents?.tooDeep.add(doc.id);
      return this.refuse('NestingTooDeep', `the document nests deeper than ${MAX_TRACE_DEPTH} levels`);
    }
    if (!trace) {
      trace = new StoredTrace(doc.trace_id, this.shared);
      this.traces.set(doc.trace_id, trace);
      this.byCreation.push(trace);
      this.markHot(trace);
    }
    const stored = trace.contents();
    for (const [id, depth] of depths) stored.depths.set(id, depth);
    stored.sizes.set(doc.id, bytes);
    trace.bytes += bytes - previous;
    this.totalBytes += bytes - previous;
    this.evictPastBounds(trace);
    if (doc.type === 'subsegment') stored.subsegments.set(doc.id, doc);
    else {
      const replaced = stored.segments.has(doc.id);
      stored.segments.set(doc.id, doc);
      trace.hasSegments = true;
      if (replaced) {
        // A re-sent segment may have moved its bounds: recompute them from scratch (rare).
        trace.startTime = Number.POSITIVE_INFINITY;
        trace.endTime = Number.NEGATIVE_INFINITY;
        for (const seg of stored.segments.values()) {
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

  /** Moves the trace to the hot end; seals the least recently written past `hotTraces`. */
  private markHot(trace: StoredTrace): void {
    this.hot.delete(trace);
    this.hot.add(trace);
    if (this.hot.size <= this.hotTraces) return;
    const coldest = this.hot.values().next().value as StoredTrace;
    this.hot.delete(coldest);
    coldest.seal();
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
      this.hot.delete(oldest);
      this.shared.recentModels.forget(oldest);
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

  /** How many traces are sealed (deflated, with only their compact view kept). */
  get sealedCount(): number {
    return this.traces.size - this.hot.size;
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
      if (isInRange(trace, start, end, by)) yield trace;
    }
  }

  /** `inRange`, newest trace (by arrival) first. */
  *newestFirst(start: number, end: number, by: 'TraceId' | 'Event'): Generator<TraceEntry> {
    for (let i = this.byCreation.length - 1; i >= this.head; i--) {
      const trace = this.byCreation[i] as StoredTrace;
      if (isInRange(trace, start, end, by)) yield trace;
    }
  }
}

function isInRange(trace: StoredTrace, start: number, end: number, by: 'TraceId' | 'Event'): boolean {
  if (!trace.hasSegments) return false;
  if (by === 'TraceId') return trace.idTime >= Math.floor(start) && trace.idTime <= end;
  return trace.endTime >= start && trace.startTime <= end;
}
