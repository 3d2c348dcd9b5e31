import { readWarehouseQueryConfig } from '@parcel/config';
import { createLogger } from '@parcel/tracing/logger';
import { createPool } from './db';
import { migrate, seedSampleParcels } from './migrate';

// `npm run migrate -w @parcel/warehouse-query`: schema, then the sample parcels (SEED=false skips them).
const pool = createPool(readWarehouseQueryConfig());
try {
  const applied = await migrate(pool);
  const seeded = process.env.SEED === 'false' ? 0 : await seedSampleParcels(pool);
  createLogger({ service: 'warehouse-query' }).info({ applied, seeded }, 'migrated');
} finally {
  await pool.end();
}
