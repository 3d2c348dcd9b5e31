import type { WarehousePart, WarehouseStatus } from '@parcel/contract';
import type { Pool } from 'pg';

interface Row {
  parcel_id: string;
  status: WarehouseStatus;
  warehouse: string;
  weight_grams: number;
  updated_at: Date;
}

/** The warehouse's record of a parcel, or undefined. Throws when the database cannot answer. */
export async function findWarehousePart(pool: Pool, parcelId: string): Promise<WarehousePart | undefined> {
  const { rows } = await pool.query<Row>(
    'SELECT parcel_id, status, warehouse, weight_grams, updated_at FROM warehouse_parcels WHERE parcel_id = $1',
    [parcelId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    parcelId: row.parcel_id,
    status: row.status,
    warehouse: row.warehouse,
    weightGrams: row.weight_grams,
    updatedAt: row.updated_at.toISOString(),
  };
}
