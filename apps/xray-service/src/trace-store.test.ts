import { MAX_TRACE_DEPTH } from '@parcel/trace-model';
import { parcelTraceDocuments } from '@parcel/trace-model/testing';
import type { SegmentDoc } from '@parcel/xray-protocol';
import { describe, expect, it } from 'vitest';
import { type TraceEntry, TraceStore } from './trace-store';

const traceId = (i: number) => `1-6920b000-${i.toString(16).padStart(24, '0')}`;
const segment = (i: number) => ({
  id: (i + 1).toString(16).padStart(16, '0'),
  trace_id: traceId(i),
  name: 'parcel-api',
  start_time: 1_763_750_000 + i,
  end_time: 1_763_750_000 + i + 0.5,
});

describe('TraceStore', () => {
  it('scans newest first exactly the traces it holds, across evictions and compaction', () => {
    const store = new TraceStore(100);
    for (let i = 0; i < 3_000; i++) store.put(segment(i));
    const ids = [...store.newestFirst(0, 2e9, 'Event')].map((t) => t.id);
    expect(ids).toEqual(Array.from({ length: 100 }, (_, k) => traceId(2_999 - k)));
    expect(store.size).toBe(100);
    expect(store.evictedCount).toBe(2_900);
    expect([...store.inRange(0, 2e9, 'Event')].map((t) => t.id).reverse()).toEqual(ids);
  });

  it('gives filters a new revision and fresh documents when a trace changes', () => {
    const store = new TraceStore(10);
    store.put(segment(1));
    const [entry] = [...store.newestFirst(0, 2e9, 'Event')];
    expect(entry?.revision).toBe(1);
    expect(entry?.documents()).toHaveLength(1);
    store.put({ ...segment(1), id: 'aaaaaaaaaaaaaaaa' });
    expect(entry?.revision).toBe(2);
    expect(entry?.documents()).toHaveLength(2);
  });

  /** What a reader can get from an entry, as plain data. */
  const readable = (entry: TraceEntry | undefined) => {
    const model = entry?.model();
    return {
      revision: entry?.revision,
      startTime: entry?.startTime,
      endTime: entry?.endTime,
      documents: entry?.documents(),
      entities: model?.entities.map((e) => [e.id, e.depth, e.parent?.id]),
      rootCauses: model?.faultRootCauses,
      summary: entry && { ...entry.view(), services: entry.view().services.map((s) => s.key) },
    };
  };
  const parcelTrace = (i: number) =>
    parcelTraceDocuments({
      traceId: traceId(i),
      start: 1_763_750_000 + i,
      cache: i % 2 === 0 ? 'miss' : 'hit',
      vendor: i % 3 === 0 ? 'timeout' : 'ok',
    });

  it('seals all but the traces written last, and a sealed trace reads as it did before', () => {
    const sealing = new TraceStore(100, 1e9, 2);
    const keeping = new TraceStore(100, 1e9, 100);
    for (let i = 0; i < 6; i++) {
      for (const doc of parcelTrace(i)) {
        sealing.put(doc);
        keeping.put(doc);
      }
    }
    expect(sealing.sealedCount).toBe(4);
    expect(keeping.sealedCount).toBe(0);
    expect(sealing.bytes).toBe(keeping.bytes);
    const sealedEntries = [...sealing.newestFirst(0, 2e9, 'Event')];
    const keptEntries = [...keeping.newestFirst(0, 2e9, 'Event')];
    expect(sealedEntries.map(readable)).toEqual(keptEntries.map(readable));
    // Read again (models of sealed traces are kept for a while), then changed: the new documents are read.
    const oldest = sealedEntries[sealedEntries.length - 1] as TraceEntry;
    const before = oldest.model().entities.length;
    const late: SegmentDoc = { ...segment(0), id: 'd000000000000001', trace_id: oldest.id };
    sealing.put(late);
    keeping.put(late);
    expect(oldest.model().entities.length).toBe(before + 1);
    expect(readable(oldest)).toEqual(readable(keptEntries[keptEntries.length - 1]));
  });

  it('unseals a trace a document arrives for: replacement, byte accounting and depth limits as before', () => {
    const store = new TraceStore(100, 1e9, 1);
    const root = segment(1);
    store.put(root, 100);
    store.put({ ...segment(1), id: 'b000000000000001', parent_id: root.id }, 50);
    store.put(segment(2), 10); // seals trace 1
    expect(store.sealedCount).toBe(1);
    expect(store.bytes).toBe(160);
    // The root re-sent, closed later and larger: it replaces the first copy, in bytes too.
    store.put({ ...root, end_time: root.end_time + 5 }, 120);
    expect(store.bytes).toBe(180);
    const [entry] = [...store.inRange(0, 2e9, 'Event')].filter((e) => e.id === root.trace_id);
    expect(entry?.documents()).toHaveLength(2);
    expect(entry?.endTime).toBe(root.end_time + 5);
    expect(entry?.revision).toBe(3);
    store.put(segment(3), 10); // seals trace 1 again (trace 2 went first)
    expect(store.sealedCount).toBe(2);
    // A chain to the depth limit, sealed between every link: the depths known survive sealing.
    let parent = root.id;
    const refusals = [];
    for (let depth = 1; depth <= MAX_TRACE_DEPTH + 1; depth++) {
      const id = (0xc000000000000 + depth).toString(16).padStart(16, '0');
      const doc: SegmentDoc = { ...segment(1), id, type: 'subsegment', parent_id: parent };
      refusals.push(store.put(doc, 1)?.code);
      store.put(segment(4 + (depth % 2)), 1); // another trace written: trace 1 is sealed again
      parent = id;
    }
    expect(refusals.slice(0, MAX_TRACE_DEPTH)).toEqual(Array(MAX_TRACE_DEPTH).fill(undefined));
    expect(refusals[MAX_TRACE_DEPTH]).toBe('NestingTooDeep');
    expect(store.bytes).toBe(180 + 10 + MAX_TRACE_DEPTH + 2);
  });
});
