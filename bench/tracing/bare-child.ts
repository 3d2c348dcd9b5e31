/**
 * The benchmark's baseline: an Express 5 route doing the same DynamoDB GetItem as parcel-api's cache hit,
 * with nothing of the project's (no config, contract, tracing or logging). Same protocol as server-child.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import express from 'express';

const dynamodb = new DynamoDBClient({
  region: process.env.AWS_REGION ?? 'us-east-1',
  endpoint: process.env.DYNAMODB_ENDPOINT,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const table = process.env.PARCEL_TABLE ?? 'parcels';
const app = express();
app.get('/parcels/:id', async (req, res) => {
  const out = await dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { parcelId: { S: req.params.id } } }),
  );
  const parcel = out.Item?.parcel?.S;
  if (!parcel) {
    res.status(404).json({ error: 'not found' });
    return;
  }
  res.json(JSON.parse(parcel));
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0, node: process.version });
});
process.on('message', (m: unknown) => {
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage(), stats: {} });
  else if (m === 'stop') server.close(() => process.exit(0));
});
