// PostgreSQL as its own process: embedded (real binaries from npm) unless DATABASE_URL names a server.
// warehouse-query applies its migrations and the sample seed when it starts.
import { startPostgres } from '@parcel/local-resources';
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
