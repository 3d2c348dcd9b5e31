export * from './cache-item';
export * from './parcel';
export * from './s10';
export * from './sample-parcels';
export * from './vendor-api';
