import type { MergedParcel } from './parcel';

/**
 * The DynamoDB cache item, written by the state machine's `dynamodb:putItem` task and read by parcel-api:
 * `{ parcelId: S, parcel: S (JSON of MergedParcel), fetchedAt: S (ISO 8601) }`, key `parcelId`.
 */
export const CACHE_KEY = 'parcelId';

export interface CacheItem {
  parcelId: string;
  parcel: MergedParcel;
  fetchedAt: string;
}

/** Input of the parcel-fanout state machine. Its output is a `MergedParcel`. */
export interface FanoutInput {
  parcelId: string;
}
