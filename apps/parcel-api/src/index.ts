export { ageSeconds, parseCacheItem, readCachedParcel } from './cache';
export { type FanoutResult, runFanout } from './fanout';
export { type RunningParcelApi, SERVICE_NAME, startParcelApi } from './server';
export {
  createVendorStaleMetric,
  type VendorStaleEvent,
  type VendorStaleMetric,
} from './vendor-stale-metric';
