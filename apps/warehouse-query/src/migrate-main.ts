import { readWarehouseQueryConfig } from '@parcel/config';
import { createLogger } from '@parcel/tracing/logger';
import { createPool } from './db';
import { migrate, seedSampleParcels } from './migrate';

// The migration step, run once per deploy before warehouse-query starts (in AWS a one-off ECS task as the
// master user; locally the launcher and compose run it): the schema, then the sample parcels only when
// SEED_SAMPLE_PARCELS=true (the local stack).
//   npm run migrate -w @parcel/warehouse-query
const logger = createLogger({ service: 'warehouse-query' });
const config = readWarehouseQueryConfig();
const pool = createPool(config);
let ok = false;
try {
  const applied = await migrate(pool);
  const seeded = config.seedSampleParcels ? await seedSampleParcels(pool) : 0;
  logger.info({ applied, seeded }, 'migrated');
  ok = true;
} catch (err) {
  logger.error({ err }, 'migration failed');
} finally {
  await pool.end();
}
// Its exit code is the step's result; exit explicitly, since a launcher's IPC channel keeps a process alive.
process.exit(ok ? 0 : 1);
