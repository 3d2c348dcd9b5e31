// PostgreSQL as its own process: embedded (real binaries from npm) unless DATABASE_URL names a server.
// warehouse-query's migrations and the sample seed are the launcher's warehouse-migrate step, once this is ready.
// The module alone, not the package's index (node-forge, dynalite, the DynamoDB client): this process is
// the slowest piece to start and the migration waits for it.
import { startPostgres } from '@parcel/local-resources/postgres';
import { announceReady, stopOnSignal } from './lifecycle';

const pg = await startPostgres({
  databaseUrl: process.env.DATABASE_URL || undefined,
  port: Number(process.env.POSTGRES_PORT ?? 5433),
  dataDir: process.env.POSTGRES_DATA_DIR,
});
stopOnSignal(() => pg.close());
announceReady(
  'postgres',
  { url: pg.url },
  `PostgreSQL ${pg.embedded ? '(embedded) ' : ''}ready on ${pg.url.replace(/:[^:@/]*@/, ':***@')}`,
);
