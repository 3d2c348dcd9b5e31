import type { TraceEntry } from './trace-store';

/** Where the previous page stopped: its last trace's start time and id. */
export interface PageCursor {
  t: number;
  id: string;
}

/** Newest first; ties by id so a page boundary is exact. Negative when `a` comes first. */
const order = (a: TraceEntry, b: TraceEntry) => b.startTime - a.startTime || (a.id < b.id ? -1 : 1);
const isAfter = (e: TraceEntry, c: PageCursor) => e.startTime < c.t || (e.startTime === c.t && e.id > c.id);

/**
 * The page of `limit` entries that follows `after` in newest-first order, from entries that `accept`
 * lets through — without sorting them all: a bounded heap keeps the best `limit` seen so far (its root is
 * the worst of them), so 100,000 candidates cost O(n log limit) and no array of n. `more` says whether any
 * accepted entry past the cursor did not fit. Same answer as sorting everything and slicing.
 */
export function newestPage(
  entries: Iterable<TraceEntry>,
  limit: number,
  accept?: (entry: TraceEntry) => boolean,
  after?: PageCursor,
): { page: TraceEntry[]; processed: number; more: boolean } {
  const heap: TraceEntry[] = [];
  let processed = 0;
  let more = false;
  for (const entry of entries) {
    processed++;
    if (after && !isAfter(entry, after)) continue;
    if (heap.length === limit) {
      // Not better than the worst kept: it would not be on this page. Checked before the filter, which
      // is the expensive part, but counted as `more` only if the filter would have let it through.
      if (limit === 0 || order(entry, heap[0] as TraceEntry) > 0) {
        if (!more && (!accept || accept(entry))) more = true;
        continue;
      }
      if (accept && !accept(entry)) continue;
      more = true;
      heap[0] = entry;
      siftDown(heap, 0);
      continue;
    }
    if (accept && !accept(entry)) continue;
    heap.push(entry);
    siftUp(heap, heap.length - 1);
  }
  heap.sort(order);
  return { page: heap, processed, more };
}

// A max-heap on `order` (the root is the entry that comes last).
function siftUp(heap: TraceEntry[], i: number): void {
  const item = heap[i] as TraceEntry;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (order(heap[parent] as TraceEntry, item) >= 0) break;
    heap[i] = heap[parent] as TraceEntry;
    i = parent;
  }
  heap[i] = item;
}

function siftDown(heap: TraceEntry[], i: number): void {
  const item = heap[i] as TraceEntry;
  const n = heap.length;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= n) break;
    const right = left + 1;
    const child = right < n && order(heap[right] as TraceEntry, heap[left] as TraceEntry) > 0 ? right : left;
    if (order(heap[child] as TraceEntry, item) <= 0) break;
    heap[i] = heap[child] as TraceEntry;
    i = child;
  }
  heap[i] = item;
}
