import { compileFilter } from '@parcel/xray-filter';
import type { FilterCompiler } from './xray-api';

/**
 * X-Ray filter expressions through `@parcel/xray-filter`, over each stored trace's view (built once per
 * revision of the trace and shared with the graph and the statistics). Bad expressions throw
 * `FilterSyntaxError` (with its `position`), which the API answers with a 400.
 */
export function xrayFilterCompiler(): FilterCompiler {
  return (text, groups) => {
    const matches = compileFilter(text, groups ? { groups } : {});
    return (trace) => matches(trace.view());
  };
}
