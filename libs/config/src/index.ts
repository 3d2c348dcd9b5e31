export * from './local-defaults';
export * from './schema';
export * from './services/parcel-api';
export * from './services/tracing';
export * from './services/warehouse-query';
