export * from './latency-profile';
export * from './server';
export * from './stats';
export * from './vendor-catalogue';
