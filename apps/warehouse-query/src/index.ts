export { createPool } from './db';
export { MIGRATIONS_DIR, migrate, seedSampleParcels } from './migrate';
export { type RunningWarehouseQuery, SERVICE_NAME, startWarehouseQuery } from './server';
export { createVendorClient, mapVendorParcel, type VendorCall, type VendorClient } from './vendor-client';
export { findWarehousePart } from './warehouse';
