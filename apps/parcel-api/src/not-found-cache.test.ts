import type { MergedParcel } from '@parcel/contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NotFoundCache } from './not-found-cache';

const unknown = (parcelId: string): MergedParcel => ({
  parcelId,
  warehouse: null,
  vendor: null,
  vendorStatus: 'not_found',
  fetchedAt: '2026-12-01T00:00:00.000Z',
});

describe('the "no such parcel" cache', () => {
  it('answers for its ttl, then forgets', () => {
    let now = 1_000;
    const cache = new NotFoundCache(10_000, 100, () => now);
    cache.remember(unknown('EE271828189FR'));
    now += 9_999;
    expect(cache.get('EE271828189FR')).toEqual(unknown('EE271828189FR'));
    now += 1;
    expect(cache.get('EE271828189FR')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps nothing when its ttl is 0', () => {
    const cache = new NotFoundCache(0, 100);
    cache.remember(unknown('EE271828189FR'));
    expect(cache.get('EE271828189FR')).toBeUndefined();
  });

  it('never holds more than its bound, dropping the oldest first, whatever ids arrive (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Z]{2}\d{9}[A-Z]{2}$/), { maxLength: 200 }),
        fc.integer({ min: 1, max: 20 }),
        (ids, bound) => {
          const cache = new NotFoundCache(60_000, bound, () => 0);
          for (const id of ids) {
            cache.remember(unknown(id));
            expect(cache.size).toBeLessThanOrEqual(bound);
          }
          // The most recent distinct ids are the ones kept.
          const recent = [...new Set([...ids].reverse())].slice(0, bound);
          for (const id of recent) expect(cache.get(id)?.parcelId).toBe(id);
        },
      ),
    );
  });
});
