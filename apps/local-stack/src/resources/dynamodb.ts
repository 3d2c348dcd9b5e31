// The local DynamoDB as its own process: dynalite on PORT, with the cache table created.
import { LOCAL_REGION, PARCEL_TABLE } from '@parcel/config';
import { ensureParcelTable, startDynalite } from '@parcel/local-resources';
import { announceReady, stopOnSignal } from './lifecycle';

const dynamo = await startDynalite({ host: '127.0.0.1', port: Number(process.env.PORT ?? 8000) });
stopOnSignal(() => dynamo.close());
await ensureParcelTable({
  endpoint: dynamo.endpoint,
  region: process.env.AWS_REGION ?? LOCAL_REGION,
  tableName: process.env.PARCEL_TABLE ?? PARCEL_TABLE,
});
announceReady('dynamodb', { url: dynamo.endpoint }, `DynamoDB (dynalite) on ${dynamo.endpoint}`);
