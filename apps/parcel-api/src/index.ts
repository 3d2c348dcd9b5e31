export { ageSeconds, parseCacheItem, readCachedParcel } from './cache';
export { type FanoutResult, runFanout } from './fanout';
export { type RunningParcelApi, SERVICE_NAME, startParcelApi } from './server';
