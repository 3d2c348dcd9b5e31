// PostgreSQL as its own process: embedded (real binaries from npm) unless DATABASE_URL names a server;
// migrated and seeded with the sample parcels either way.
import { startPostgres } from '@parcel/local-resources';
import { migrate, seed } from '@parcel/warehouse-query';
import { announceReady, stopOnSignal } from './lifecycle';

const pg = await startPostgres({
  databaseUrl: process.env.DATABASE_URL || undefined,
  port: Number(process.env.POSTGRES_PORT ?? 5433),
  dataDir: process.env.POSTGRES_DATA_DIR,
});
stopOnSignal(() => pg.close());
await migrate(pg.url);
await seed(pg.url);
announceReady({ url: pg.url }, `PostgreSQL ${pg.embedded ? '(embedded) ' : ''}ready, migrated and seeded`);
