/**
 * The one model of a trace: assembly (segments and subsegments, nested or sent on their own, in
 * progress replaced by complete), inferred nodes, node and edge facts, root causes. Read by the X-Ray
 * service (summaries, graph, console), the filters and the analysis.
 *
 *   const model = buildTraceModel(traceId, documents);   // once per revision of the trace
 *   const view = compactor.compact(model);               // what a store keeps: filters, graph, statistics
 */
export { buildTraceModel, CLIENT, MAX_TRACE_DEPTH } from './build';
export type * from './model';
export { awsNodeType, inferredNode, nodeKey } from './node-types';
export { assembledSegments } from './segments';
export { TraceViewCompactor } from './view';
