import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, toolPresent } from '@parcel/test-kit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPostgres, startPostgres } from './postgres';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

function postgresPidsFor(dataDir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes('postgres') && l.includes(dataDir));
}

describe('startPostgres (embedded)', () => {
  let db: RunningPostgres;
  beforeAll(async () => {
    db = await startPostgres({ databaseUrl: '' });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('runs a real PostgreSQL with the parcels database', async () => {
    expect(db.embedded).toBe(true);
    expect(db.url).toMatch(/^postgres:\/\/[^@]+@127\.0\.0\.1:\d+\/parcels$/);
    const rows = await query<{ one: number; db: string; version: string }>(
      db.url,
      'select 1 as one, current_database() as db, version() as version',
    );
    expect(rows[0]).toMatchObject({ one: 1, db: 'parcels' });
    expect(rows[0]?.version).toMatch(/^PostgreSQL 17/);
  });

  it('creates a table and keeps rows', async () => {
    await query(db.url, 'create table t (id text primary key, n int not null)');
    await query(db.url, "insert into t values ('a', 1), ('b', 2)");
    expect(await query(db.url, 'select sum(n)::int as total from t')).toEqual([{ total: 3 }]);
  });
});

describe('startPostgres lifecycle', () => {
  it('reuses an initialised data dir, keeps its data, and leaves no process behind', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'parcel-pg-test-'));
    await chmod(parent, 0o755); // as root, PostgreSQL runs as `postgres` and must reach the folder
    const dataDir = join(parent, 'cluster');
    try {
      const first = await startPostgres({ dataDir, databaseUrl: '' });
      await query(first.url, 'create table kept (v text)');
      await query(first.url, "insert into kept values ('still here')");
      await first.close();
      expect(postgresPidsFor(dataDir)).toEqual([]);
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);

      const started = Date.now();
      const second = await startPostgres({ dataDir, databaseUrl: '' });
      const restartMs = Date.now() - started;
      try {
        expect(await query(second.url, 'select v from kept')).toEqual([{ v: 'still here' }]);
        expect(restartMs).toBeLessThan(10_000); // no initdb the second time
      } finally {
        await second.close();
      }
      expect(postgresPidsFor(dataDir)).toEqual([]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it.runIf(toolPresent('root', isRoot()))(
    'as root, names the problem when the postgres user cannot reach the data dir',
    async () => {
      const parent = await mkdtemp(join(tmpdir(), 'parcel-pg-private-')); // 0700, root's
      try {
        await expect(startPostgres({ dataDir: join(parent, 'cluster'), databaseUrl: '' })).rejects.toThrow(
          /cannot reach .*cluster/,
        );
      } finally {
        await rm(parent, { recursive: true, force: true });
      }
    },
  );

  it('uses a given DATABASE_URL without starting anything, after checking it connects', async () => {
    const embedded = await startPostgres({ databaseUrl: '' });
    try {
      const external = await startPostgres({ databaseUrl: embedded.url });
      expect(external).toMatchObject({ url: embedded.url, embedded: false });
      await external.close(); // must not stop the server it does not own
      expect(await query(embedded.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await embedded.close();
    }
  });

  it('rejects a DATABASE_URL that does not connect, without leaking its password', async () => {
    const bad = 'postgres://someone:secret-pw@127.0.0.1:1/parcels';
    const err = await startPostgres({ databaseUrl: bad }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/cannot connect/);
    expect((err as Error).message).not.toContain('secret-pw');
  });

  it('refuses a non-empty folder that is not a cluster', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parcel-pg-junk-'));
    try {
      await writeFile(join(dir, 'notes.txt'), 'x');
      await expect(startPostgres({ dataDir: dir, databaseUrl: '' })).rejects.toThrow(
        /not a PostgreSQL data directory/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
