import { buildTraceView, compileFilter, type TraceView as FilterView } from '@parcel/xray-filter';
import type { TraceView } from './trace-analysis';
import type { FilterCompiler } from './xray-api';

/**
 * X-Ray filter expressions through `@parcel/xray-filter`. The filter's digest of a trace is built once per
 * stored view: the store replaces the view object whenever the trace changes, so a WeakMap keyed on it is
 * always fresh and lets go of old digests on its own. Bad expressions throw `FilterSyntaxError` (with its
 * `position`), which the API answers with a 400.
 */
export function xrayFilterCompiler(): FilterCompiler {
  const digests = new WeakMap<TraceView, FilterView>();
  return (text) => {
    const matches = compileFilter(text);
    return (trace) => {
      let view = digests.get(trace);
      if (!view) {
        view = buildTraceView(trace.id, trace.documents);
        digests.set(trace, view);
      }
      return matches(view);
    };
  };
}
