import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION, PARCEL_TABLE } from '@parcel/config';
import { CACHE_KEY } from '@parcel/contract';
import { ensureParcelTable, type RunningDynalite, startDynalite } from '@parcel/local-resources';
import type { StackAddresses } from './stack';

/** The parcel cache table in a fresh dynalite, with a real DynamoDB client at it for the test's own reads. */
export async function startCacheTable(
  tableName: string,
): Promise<{ dynalite: RunningDynalite; ddb: DynamoDBClient }> {
  const dynalite = await startDynalite();
  await ensureParcelTable({ endpoint: dynalite.endpoint, region: LOCAL_REGION, tableName });
  const ddb = new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint: dynalite.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  return { dynalite, ddb };
}

/** A real DynamoDB client at a test stack's table: the cache read and arranged as the service sees it. */
export function dynamoClient(stack: StackAddresses): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: stack.endpoints.dynamodb,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
}

export interface StoredItem {
  parcelId: string;
  fetchedAt: string;
  parcel: string;
}

export async function readCacheItem(ddb: DynamoDBClient, id: string): Promise<StoredItem | undefined> {
  const out = await ddb.send(
    new GetItemCommand({ TableName: PARCEL_TABLE, Key: { [CACHE_KEY]: { S: id } }, ConsistentRead: true }),
  );
  if (!out.Item) return undefined;
  return {
    parcelId: out.Item[CACHE_KEY]?.S ?? '',
    fetchedAt: out.Item.fetchedAt?.S ?? '',
    parcel: out.Item.parcel?.S ?? '',
  };
}

export async function forgetCached(ddb: DynamoDBClient, id: string): Promise<void> {
  await ddb.send(new DeleteItemCommand({ TableName: PARCEL_TABLE, Key: { [CACHE_KEY]: { S: id } } }));
}

/** Makes the cached copy of `id` look `ageSeconds` old (past the TTL), so the next request fans out. */
export async function ageCached(ddb: DynamoDBClient, id: string, ageSeconds: number): Promise<string> {
  const item = await readCacheItem(ddb, id);
  if (!item) throw new Error(`${id} is not cached`);
  const fetchedAt = new Date(Date.now() - ageSeconds * 1000).toISOString();
  await ddb.send(
    new PutItemCommand({
      TableName: PARCEL_TABLE,
      Item: { [CACHE_KEY]: { S: id }, fetchedAt: { S: fetchedAt }, parcel: { S: item.parcel } },
    }),
  );
  return fetchedAt;
}
