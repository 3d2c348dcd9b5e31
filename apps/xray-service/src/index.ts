export { ApiError } from './api-error';
export { xrayFilterCompiler } from './filter-compiler';
export { SamplingTable } from './sampling-table';
export {
  DEFAULT_BODY_LIMIT,
  type RunningXrayService,
  startXrayService,
  type XrayServiceOptions,
} from './server';
export { buildServiceGraph } from './service-graph';
export { TraceStore } from './trace-store';
export type { FilterCompiler, TracePredicate } from './xray-api';
export { XrayApi } from './xray-api';
