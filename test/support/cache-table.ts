import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@parcel/config';
import { ensureParcelTable, type RunningDynalite, startDynalite } from '@parcel/local-resources';

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
