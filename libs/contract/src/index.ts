export * from './parcel';
export * from './s10';
export * from './sample-parcels';
