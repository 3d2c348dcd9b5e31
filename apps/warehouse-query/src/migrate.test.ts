import { readWarehouseQueryConfig, warehouseQuerySpec } from '@parcel/config';
import { SAMPLE_PARCELS } from '@parcel/contract';
import { type RunningPostgres, startPostgres } from '@parcel/local-resources';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from './db';
import { migrate, seedSampleParcels } from './migrate';

// Real PostgreSQL (embedded): the migrations create the role warehouse-query connects as, and that role
// can read what the service reads and nothing else.
let postgres: RunningPostgres;
let admin: pg.Pool;
let service: pg.Pool;
const SERVICE_USER = warehouseQuerySpec.dbUser.defaultValue ?? '';
const PASSWORD = 'service-test-password';

beforeAll(async () => {
  postgres = await startPostgres();
  admin = createPool(readWarehouseQueryConfig({ DATABASE_URL: postgres.url }));
  await migrate(admin);
  await seedSampleParcels(admin);
  // In AWS the role signs in with IAM tokens; here a password stands in for the token.
  await admin.query(`ALTER ROLE ${SERVICE_USER} PASSWORD '${PASSWORD}'`);
  const url = new URL(postgres.url);
  url.username = SERVICE_USER;
  url.password = PASSWORD;
  service = new pg.Pool({ connectionString: url.toString(), max: 1 });
  // The server going away at the end is not a test failure.
  for (const pool of [admin, service]) pool.on('error', () => {});
}, 120_000);

afterAll(async () => {
  await service?.end();
  await admin?.end();
  await postgres?.close();
});

describe('the migrations', () => {
  it('apply once: a second run applies nothing and changes nothing', async () => {
    expect(await migrate(admin)).toEqual([]);
  });

  it("create warehouse-query's own role (DB_USER's default), not a superuser", async () => {
    const role = await admin.query<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
      'SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1',
      [SERVICE_USER],
    );
    expect(role.rows).toEqual([{ rolsuper: false, rolcreaterole: false, rolcreatedb: false }]);
  });
});

describe('the service role', () => {
  it('reads the warehouse parcels, as the service does', async () => {
    const known = SAMPLE_PARCELS.filter((p) => p.warehouse).length;
    const rows = await service.query('SELECT parcel_id, status, warehouse FROM warehouse_parcels');
    expect(rows.rowCount).toBe(known);
  });

  it.each([
    [
      "INSERT INTO warehouse_parcels (parcel_id, status, warehouse, weight_grams) VALUES ('ZZ000000000ZZ', 'received', 'X', 1)",
    ],
    ["UPDATE warehouse_parcels SET status = 'returned'"],
    ['DELETE FROM warehouse_parcels'],
    ['TRUNCATE warehouse_parcels'],
    ['SELECT * FROM schema_migrations'],
    ['CREATE TABLE intruder (x int)'],
    ['CREATE TEMP TABLE intruder (x int)'],
    ['DROP TABLE warehouse_parcels'],
    ['ALTER TABLE warehouse_parcels ADD COLUMN x int'],
    ['CREATE ROLE intruder'],
  ])('may not: %s', async (sql) => {
    await expect(service.query(sql)).rejects.toThrow(/permission denied|must be owner/);
  });
});
