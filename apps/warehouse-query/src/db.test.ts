import { readWarehouseQueryConfig } from '@parcel/config';
import { type RunningPostgres, startPostgres } from '@parcel/local-resources';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, warmPool } from './db';

// Real PostgreSQL (embedded, or DATABASE_URL's server): the pool is pg-pool's, only its options are ours.
let postgres: RunningPostgres;
const pools: pg.Pool[] = [];

beforeAll(async () => {
  postgres = await startPostgres();
}, 120_000);

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await postgres?.close();
});

function pool(env: Record<string, string>): pg.Pool {
  const created = createPool(readWarehouseQueryConfig({ DATABASE_URL: postgres.url, ...env }));
  created.on('error', () => {});
  pools.push(created);
  return created;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the warehouse pool', () => {
  it('opens DB_POOL_MIN connections at start and keeps them through idle spells longer than the idle timeout', async () => {
    const idleTimeoutMs = 150;
    const warehouse = pool({
      DB_POOL_MIN: '2',
      DB_POOL_SIZE: '6',
      DB_IDLE_TIMEOUT_MS: String(idleTimeoutMs),
    });
    expect(await warmPool(warehouse)).toBeUndefined();
    expect(warehouse.totalCount).toBe(2);

    // A burst opens more; once it is over, only the connections above the minimum are closed.
    await Promise.all(Array.from({ length: 6 }, () => warehouse.query('SELECT pg_sleep(0.05)')));
    expect(warehouse.totalCount).toBeGreaterThan(2);
    await until(() => warehouse.totalCount === 2, 10_000);
    // Several idle timeouts later the minimum is still open and idle, ready for the next burst.
    for (let spell = 0; spell < 4; spell++) {
      await new Promise((resolve) => setTimeout(resolve, idleTimeoutMs));
      expect(warehouse.totalCount).toBe(2);
    }
    expect(warehouse.idleCount).toBe(2);
    const { rows } = await warehouse.query<{ one: number }>('SELECT 1 AS one');
    expect(rows[0]?.one).toBe(1);
    expect(warehouse.totalCount).toBe(2);
  });

  it('keeps at most DB_POOL_SIZE connections even when DB_POOL_MIN asks for more', async () => {
    const warehouse = pool({ DB_POOL_MIN: '5', DB_POOL_SIZE: '1' });
    expect(warehouse.options.min).toBe(1);
    expect(await warmPool(warehouse)).toBeUndefined();
    expect(warehouse.totalCount).toBe(1);
  });

  it('reports a database that does not answer instead of throwing, within the connect timeout', async () => {
    const closed = createPool(
      readWarehouseQueryConfig({
        // Port 9 on loopback: nothing listens (discard), so the connection is refused at once.
        DATABASE_URL: 'postgres://warehouse@127.0.0.1:9/parcels',
        DB_CONNECT_TIMEOUT_MS: '500',
      }),
    );
    closed.on('error', () => {});
    pools.push(closed);
    const failure = await warmPool(closed);
    expect(failure).toBeInstanceOf(Error);
    expect(closed.totalCount).toBe(0);
  });
});
