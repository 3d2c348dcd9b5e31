import { describe, expect, it } from 'vitest';
import { TraceStore } from './trace-store';

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
});
