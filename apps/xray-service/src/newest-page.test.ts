import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newestPage, type PageCursor } from './newest-page';
import type { TraceEntry } from './trace-store';

const entry = (id: string, startTime: number): TraceEntry => ({
  id,
  startTime,
  endTime: startTime + 1,
  revision: 1,
  documents: () => [],
  model: () => {
    throw new Error('not needed');
  },
  view: () => {
    throw new Error('not needed');
  },
});

/** What GetTraceSummaries answered before: sort everything newest first, skip past the cursor, slice. */
function sortAndSlice(
  entries: TraceEntry[],
  limit: number,
  accept: (e: TraceEntry) => boolean,
  after?: PageCursor,
) {
  const matched = entries.filter(accept);
  matched.sort((a, b) => b.startTime - a.startTime || (a.id < b.id ? -1 : 1));
  let from = 0;
  if (after) {
    from = matched.findIndex((e) => e.startTime < after.t || (e.startTime === after.t && e.id > after.id));
    if (from < 0) from = matched.length;
  }
  return { page: matched.slice(from, from + limit), more: from + limit < matched.length };
}

describe('newestPage', () => {
  it('answers exactly what sorting everything and slicing answers, page after page', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            id: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 3 }),
            t: fc.integer({ min: 0, max: 20 }),
          }),
          {
            selector: (r) => r.id,
            maxLength: 60,
          },
        ),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 4 }),
        (rows, limit, modulo) => {
          const entries = rows.map((r) => entry(r.id, r.t));
          const accept = (e: TraceEntry) => e.id.charCodeAt(0) % modulo === 0;
          let after: PageCursor | undefined;
          for (let pageNo = 0; pageNo < 20; pageNo++) {
            const got = newestPage(entries, limit, accept, after);
            const want = sortAndSlice(entries, limit, accept, after);
            expect(got.page.map((e) => e.id)).toEqual(want.page.map((e) => e.id));
            expect(got.more).toBe(want.more);
            expect(got.processed).toBe(entries.length);
            const last = got.page[got.page.length - 1];
            if (!got.more || !last) break;
            after = { t: last.startTime, id: last.id };
          }
        },
      ),
    );
  });
});
