export * from './parcel-trace';
export * from './subsegment-chain';
