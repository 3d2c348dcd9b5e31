import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAMPLE_PARCELS } from '@parcel/contract';
import type { Pool } from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
/** `migrations/` next to the bundle in the image (infra/images/bundle.ts copies it), else the source tree's. */
export const MIGRATIONS_DIR = existsSync(join(here, 'migrations'))
  ? join(here, 'migrations')
  : join(here, '..', 'migrations');
// Any constant: serialises migrations when several tasks start at once.
const MIGRATION_LOCK = 727_001;

/** Applies `migrations/*.sql` not applied yet, in name order, each in its own transaction. */
export async function migrate(pool: Pool, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
    );
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(join(dir, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(e as Error).message}`);
      }
      applied.push(file);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
  return applied;
}

/** The sample parcels the warehouse knows (the same definition the vendor simulator reads). */
export async function seedSampleParcels(pool: Pool): Promise<number> {
  let inserted = 0;
  for (const [i, p] of SAMPLE_PARCELS.entries()) {
    if (!p.warehouse) continue;
    const updatedAt = new Date(Date.UTC(2026, 10, 20, 8 + i)).toISOString();
    const result = await pool.query(
      `INSERT INTO warehouse_parcels (parcel_id, status, warehouse, weight_grams, updated_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (parcel_id) DO NOTHING`,
      [p.id, p.warehouse.status, p.warehouse.warehouse, p.warehouse.weightGrams, updatedAt],
    );
    inserted += result.rowCount ?? 0;
  }
  return inserted;
}
