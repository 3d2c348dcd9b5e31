export * from './certificates';
export * from './dynalite';
export * from './free-port';
export * from './localhost-resolution';
export * from './parcel-table';
export * from './postgres';
