import {
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS } from '@parcel/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDynalite, startDynalite } from './dynalite';
import { ensureParcelTable } from './parcel-table';

const region = 'us-east-1';
let dynamo: RunningDynalite;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startDynalite({ createTableMs: 200 });
  client = new DynamoDBClient({ region, endpoint: dynamo.endpoint, credentials: LOCAL_CREDENTIALS });
});
afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
});

describe('startDynalite', () => {
  it('listens on an ephemeral loopback port', () => {
    expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dynamo.endpoint).not.toMatch(/:0$/);
  });

  it('close() stops it and can be called twice', async () => {
    const other = await startDynalite();
    await other.close();
    await other.close();
    await expect(fetch(other.endpoint, { method: 'POST' })).rejects.toThrow();
  });
});

describe('ensureParcelTable', () => {
  it('creates the table, waits until ACTIVE, and round-trips an item keyed by parcelId', async () => {
    await ensureParcelTable({ endpoint: dynamo.endpoint, region, tableName: 'parcels-a' });
    const described = await client.send(new DescribeTableCommand({ TableName: 'parcels-a' }));
    expect(described.Table?.TableStatus).toBe('ACTIVE');
    expect(described.Table?.KeySchema).toEqual([{ AttributeName: 'parcelId', KeyType: 'HASH' }]);
    expect(described.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');

    await client.send(
      new PutItemCommand({
        TableName: 'parcels-a',
        Item: { parcelId: { S: 'RR123456785GB' }, parcel: { S: '{}' } },
      }),
    );
    const got = await client.send(
      new GetItemCommand({ TableName: 'parcels-a', Key: { parcelId: { S: 'RR123456785GB' } } }),
    );
    expect(got.Item?.parcel?.S).toBe('{}');
  });

  it('is idempotent, also when called concurrently, and keeps existing items', async () => {
    await Promise.all(
      [1, 2, 3].map(() => ensureParcelTable({ endpoint: dynamo.endpoint, region, tableName: 'parcels-b' })),
    );
    await client.send(new PutItemCommand({ TableName: 'parcels-b', Item: { parcelId: { S: 'x' } } }));
    await ensureParcelTable({ endpoint: dynamo.endpoint, region, tableName: 'parcels-b' });
    const got = await client.send(
      new GetItemCommand({ TableName: 'parcels-b', Key: { parcelId: { S: 'x' } } }),
    );
    expect(got.Item?.parcelId?.S).toBe('x');
  });

  it('fails, naming the status, when the table does not become ACTIVE in time', async () => {
    await ensureParcelTable({ endpoint: dynamo.endpoint, region, tableName: 'parcels-c' });
    await client.send(new DeleteTableCommand({ TableName: 'parcels-c' }));
    // While DELETING the table exists but is not ACTIVE: a short timeout must fail, not pretend.
    await expect(
      ensureParcelTable({ endpoint: dynamo.endpoint, region, tableName: 'parcels-c', timeoutMs: 50 }),
    ).rejects.toThrow(/not ACTIVE/);
  });

  it('fails loudly when DynamoDB is unreachable', async () => {
    const gone = await startDynalite();
    await gone.close();
    await expect(
      ensureParcelTable({ endpoint: gone.endpoint, region, tableName: 'parcels' }),
    ).rejects.toThrow();
  });
});
