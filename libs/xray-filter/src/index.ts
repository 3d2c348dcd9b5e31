/**
 * X-Ray filter expressions (`GetTraceSummaries` `FilterExpression`, groups, the console search box),
 * parsed and evaluated over stored traces.
 *
 *   const model = buildTraceModel(traceId, segmentDocs);  // @parcel/trace-model, once per trace revision
 *   const matches = compileFilter('service("parcel-api") { fault } AND annotation.cache = "miss"');
 *   traces.filter(matches);                              // a closure call per trace
 *
 * - `parseFilter(text)` → `FilterAst`; `formatFilter(ast)` prints it back (parse ∘ format is identity).
 * - `compileFilter(text | ast)` → `(trace: TraceView) => boolean` (a `TraceModel`, or a store's compact view).
 * - Bad text throws `FilterSyntaxError` (`position`: 0-based offset, `message`) and nothing else; input is
 *   capped at `MAX_FILTER_LENGTH` characters and `MAX_FILTER_DEPTH` levels of nesting.
 * - Trace-level `ok`/`error`/`fault`/`throttle`, `responsetime` and `http.*` are the root segment's (as in
 *   X-Ray); `duration` spans all segments; `user` and `annotation.key` match any segment;
 *   `service(…) { … }` / `edge(…) { … }` apply their block to each segment of the node / call on the edge.
 */
export type {
  AnnotationValue,
  ComparisonOp,
  FilterAst,
  FlagKeyword,
  NodeSelector,
  NumberKeyword,
  NumberOp,
  StringKeyword,
  StringOp,
} from './ast';
export { type CompileOptions, compileFilter, type GroupResolver, type TracePredicate } from './compile';
export { FilterSyntaxError } from './errors';
export { formatFilter, quote } from './format';
export { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseFilter } from './parser';
