import type { MergedParcel } from '@parcel/contract';

/**
 * "No such parcel" answers, kept briefly so that repeated lookups of a valid but unknown id cost one
 * fan-out per `ttlMs` instead of one each, and bounded (the oldest entry goes first) so that a flood of
 * distinct ids cannot grow it. Known parcels are cached in DynamoDB; these never are.
 */
export class NotFoundCache {
  private readonly entries = new Map<string, { parcel: MergedParcel; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(parcelId: string): MergedParcel | undefined {
    const entry = this.entries.get(parcelId);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.parcel;
    this.entries.delete(parcelId);
    return undefined;
  }

  remember(parcel: MergedParcel): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(parcel.parcelId);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(parcel.parcelId, { parcel, until: this.now() + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }
}
