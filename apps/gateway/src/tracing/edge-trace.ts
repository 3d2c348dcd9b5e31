import {
  formatTraceHeader,
  newSegmentId,
  newTraceId,
  parseTraceHeader,
  type TraceHeader,
} from '@parcel/xray-protocol';
import type { SamplingDecision } from '../sampling/sampler';

/** What the stage knows about the request's trace after reading (or starting) it. */
export interface EdgeTrace {
  traceId: string;
  /** The caller's segment, when the caller traced (becomes the stage segment's parent_id). */
  callerParentId?: string;
  sampled: boolean;
  /** Set when the stage made the decision; undefined when it honoured the caller's. */
  decision?: SamplingDecision;
  /** Fields such as Lineage or Self: carried on, never interpreted. */
  extra: [string, string][];
  stageSegmentId: string;
  /** The integration subsegment: the Parent the service sees, so the tree is stage → call → service. */
  integrationSegmentId: string;
  continued: boolean;
}

/**
 * Reads `X-Amzn-Trace-Id` as API Gateway does: a valid header is continued and its `Sampled=0|1` honoured;
 * `Sampled=?` or no flag lets the stage decide; a missing or malformed header starts a new trace.
 */
export function resolveEdgeTrace(
  rawHeader: string | string[] | undefined,
  decide: () => SamplingDecision,
  nowMs: number = Date.now(),
): EdgeTrace {
  const incoming = parseTraceHeader(rawHeader);
  const ids = { stageSegmentId: newSegmentId(), integrationSegmentId: newSegmentId() };
  if (!incoming) {
    const decision = decide();
    return {
      traceId: newTraceId(nowMs),
      sampled: decision.sampled,
      decision,
      extra: [],
      continued: false,
      ...ids,
    };
  }
  const base = {
    traceId: incoming.root,
    ...(incoming.parent ? { callerParentId: incoming.parent } : {}),
    extra: incoming.extra,
    continued: true,
    ...ids,
  };
  if (incoming.sampled === '1' || incoming.sampled === '0')
    return { ...base, sampled: incoming.sampled === '1' };
  const decision = decide();
  return { ...base, sampled: decision.sampled, decision };
}

/** The header the integration receives. */
export function downstreamTraceHeader(trace: EdgeTrace): string {
  const header: TraceHeader = {
    root: trace.traceId,
    parent: trace.integrationSegmentId,
    sampled: trace.sampled ? '1' : '0',
    extra: trace.extra,
  };
  return formatTraceHeader(header);
}

/** The header returned to the client: the trace to look up, and whether it was recorded. */
export function clientTraceHeader(trace: EdgeTrace): string {
  return formatTraceHeader({ root: trace.traceId, sampled: trace.sampled ? '1' : '0', extra: [] });
}
