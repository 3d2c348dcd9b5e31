import type { MergedParcel } from './parcel';

/**
 * The DynamoDB cache item, written by the state machine's `dynamodb:putItem` task and read by parcel-api:
 * `{ parcelId: S, parcel: S (JSON of MergedParcel), fetchedAt: S (ISO 8601), expiresAt: N }`, key
 * `parcelId`.
 */
export const CACHE_KEY = 'parcelId';

/** The table's TTL attribute (epoch seconds): DynamoDB deletes an item some time after it passes. */
export const CACHE_TTL_ATTRIBUTE = 'expiresAt';

export interface CacheItem {
  parcelId: string;
  parcel: MergedParcel;
  fetchedAt: string;
  /** Epoch seconds; absent on items written before the TTL attribute was. */
  expiresAt?: number;
}

/** Input of the parcel-fanout state machine. Its output is a `MergedParcel`. */
export interface FanoutInput {
  parcelId: string;
  /** Epoch seconds the cache item written by this execution expires at (`CACHE_TTL_ATTRIBUTE`). */
  expiresAt: number;
}
