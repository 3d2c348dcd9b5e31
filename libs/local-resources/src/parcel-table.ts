import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS } from '@parcel/config';
import { CACHE_KEY } from '@parcel/contract';

export interface EnsureParcelTableOptions {
  /** A local DynamoDB (dynalite) endpoint; absent = the real AWS endpoint of `region`. */
  endpoint?: string;
  region: string;
  tableName: string;
  /** Defaults to the local stand-ins' static credentials when `endpoint` is set, else the SDK chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** How long to wait for the table to become ACTIVE (default 30 s). */
  timeoutMs?: number;
}

/**
 * Creates the parcel cache table (hash key `parcelId` S, on-demand) when it is missing and waits until it
 * is ACTIVE. Safe to call repeatedly and from several processes at once.
 */
export async function ensureParcelTable(opts: EnsureParcelTableOptions): Promise<void> {
  const client = new DynamoDBClient({
    region: opts.region,
    endpoint: opts.endpoint,
    credentials: opts.credentials ?? (opts.endpoint ? LOCAL_CREDENTIALS : undefined),
  });
  try {
    let status = await tableStatus(client, opts.tableName);
    if (status === undefined) {
      try {
        await client.send(
          new CreateTableCommand({
            TableName: opts.tableName,
            AttributeDefinitions: [{ AttributeName: CACHE_KEY, AttributeType: 'S' }],
            KeySchema: [{ AttributeName: CACHE_KEY, KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      } catch (e) {
        // Another process created it between our describe and create: fine, wait for it like ours.
        if (!(e instanceof ResourceInUseException)) throw e;
      }
      status = await tableStatus(client, opts.tableName);
    }
    // The SDK's waiter polls every 20 s at least; a local table is ready in milliseconds.
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    while (status !== 'ACTIVE') {
      if (Date.now() > deadline) {
        throw new Error(`table ${opts.tableName} is ${status ?? 'missing'}, not ACTIVE, after waiting`);
      }
      await new Promise((r) => setTimeout(r, 25));
      status = await tableStatus(client, opts.tableName);
    }
  } finally {
    client.destroy();
  }
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table?.TableStatus;
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return undefined;
    throw e;
  }
}
