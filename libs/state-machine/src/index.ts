export * from './asl';
export * from './parcel-fanout';
