import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CACHE_KEY, CACHE_TTL_ATTRIBUTE, type CacheItem, type MergedParcel } from '@parcel/contract';

export type CacheRead =
  | { kind: 'found'; item: CacheItem }
  | { kind: 'absent' }
  /** DynamoDB failed (the AWS subsegment holds the error); the request goes on without the cache. */
  | { kind: 'unavailable'; error: unknown };

/**
 * Reads the cached parcel. Never throws: a DynamoDB outage must not fail the request. An item past its
 * TTL reads as absent: DynamoDB deletes expired items only eventually and returns them until then.
 */
export async function readCachedParcel(
  dynamodb: DynamoDBClient,
  tableName: string,
  parcelId: string,
  now: number = Date.now(),
): Promise<CacheRead> {
  let item: Record<string, { S?: string; N?: string }> | undefined;
  try {
    const out = await dynamodb.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { [CACHE_KEY]: { S: parcelId } },
        ConsistentRead: false,
      }),
    );
    item = out.Item as Record<string, { S?: string; N?: string }> | undefined;
  } catch (error) {
    return { kind: 'unavailable', error };
  }
  if (!item) return { kind: 'absent' };
  const parsed = parseCacheItem(item);
  if (!parsed || (parsed.expiresAt !== undefined && parsed.expiresAt * 1000 <= now))
    return { kind: 'absent' };
  return { kind: 'found', item: parsed };
}

/** The item as the state machine writes it; a malformed item reads as a miss (the fan-out rewrites it). */
export function parseCacheItem(item: Record<string, { S?: string; N?: string }>): CacheItem | undefined {
  const parcelId = item[CACHE_KEY]?.S;
  const fetchedAt = item.fetchedAt?.S;
  const json = item.parcel?.S;
  const expiresAt = Number(item[CACHE_TTL_ATTRIBUTE]?.N);
  if (!parcelId || !fetchedAt || !json || Number.isNaN(Date.parse(fetchedAt))) return undefined;
  try {
    const parcel = JSON.parse(json) as MergedParcel;
    if (typeof parcel !== 'object' || parcel === null || parcel.parcelId !== parcelId) return undefined;
    return { parcelId, parcel, fetchedAt, ...(Number.isFinite(expiresAt) ? { expiresAt } : {}) };
  } catch {
    return undefined;
  }
}

/** Whole seconds since `fetchedAt` (never negative, whatever the clocks say). */
export function ageSeconds(fetchedAt: string, now: number = Date.now()): number {
  return Math.max(0, Math.floor((now - Date.parse(fetchedAt)) / 1000));
}
