import { buildTraceView, compileFilter, type TraceView as FilterView } from '@parcel/xray-filter';
import type { TraceEntry } from './trace-store';
import type { FilterCompiler } from './xray-api';

/**
 * X-Ray filter expressions through `@parcel/xray-filter`. The filter's digest of a trace is built once per
 * revision of the stored trace, straight from its documents (the service's full analysis is never needed
 * to filter, so a filtered query over 100,000 traces does not analyse them all); the WeakMap lets go of
 * digests with the traces the store evicts. Bad expressions throw `FilterSyntaxError` (with its
 * `position`), which the API answers with a 400.
 */
export function xrayFilterCompiler(): FilterCompiler {
  const digests = new WeakMap<TraceEntry, { revision: number; view: FilterView }>();
  return (text) => {
    const matches = compileFilter(text);
    return (trace) => {
      let digest = digests.get(trace);
      if (!digest || digest.revision !== trace.revision) {
        digest = { revision: trace.revision, view: buildTraceView(trace.id, trace.documents()) };
        digests.set(trace, digest);
      }
      return matches(digest.view);
    };
  };
}
