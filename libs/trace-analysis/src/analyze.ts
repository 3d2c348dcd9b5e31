import type { Entity, TraceModel } from '@parcel/trace-model';
import { ascending, percentile } from './stats';

/**
 * How rows are grouped: by hop name (within its service), by service, by an annotation's value, or by the
 * trace's root cause (X-Ray's fault / error / response-time root cause: "service › entity").
 */
export type GroupBy =
  | { by: 'name' }
  | { by: 'service' }
  | { by: 'annotation'; key: string }
  | { by: 'rootcause'; kind: 'fault' | 'error' | 'responsetime' };

/** `name`, `service`, `annotation:KEY` or `rootcause:fault|error|responsetime` (the CLI's and the console's spelling). */
export function parseGroupBy(text: string): GroupBy | undefined {
  if (text === 'name' || text === 'service') return { by: text };
  const annotation = /^annotation:([A-Za-z0-9_]{1,100})$/.exec(text);
  if (annotation) return { by: 'annotation', key: annotation[1] as string };
  const cause = /^rootcause:(fault|error|responsetime)$/.exec(text);
  if (cause) return { by: 'rootcause', kind: cause[1] as 'fault' | 'error' | 'responsetime' };
  return undefined;
}

/** "service › entity" of a trace's first root cause of a kind: its last service and that service's deepest entity. */
export function rootCauseKey(
  model: TraceModel,
  kind: 'fault' | 'error' | 'responsetime',
): string | undefined {
  const causes =
    kind === 'fault'
      ? model.faultRootCauses
      : kind === 'error'
        ? model.errorRootCauses
        : model.responseTimeRootCauses;
  const service = causes[0]?.services.at(-1);
  if (!service) return undefined;
  const entity = service.entityPath.at(-1);
  return entity && entity.name !== service.name ? `${service.name} › ${entity.name}` : service.name;
}

export interface AnalysisRow {
  key: string;
  count: number;
  /** Durations of the group's nodes, seconds. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  faults: number;
  throttles: number;
  /** (errors + faults) / count. */
  errorRate: number;
  /**
   * Mean time, per trace at or above the window's p99, spent in this group's nodes themselves (not in
   * their children): what this hop adds to the slowest requests. Rows are sorted by it.
   */
  p99Contribution: number;
  /** Traces where this group took longest, slowest first. */
  exampleTraceIds: string[];
}

export interface Analysis {
  traces: number;
  /** Trace response times (entry segment), seconds. */
  p50: number;
  p99: number;
  max: number;
  rows: AnalysisRow[];
  /** The slowest traces of the window, slowest first. */
  slowTraceIds: string[];
}

const EXAMPLES = 3;

/** The service (segment name) an entity was recorded by. */
const serviceOf = (entity: Entity) => entity.segment?.name ?? entity.name;

function groupKey(entity: Entity, groupBy: GroupBy): string | undefined {
  switch (groupBy.by) {
    case 'name':
      return entity.kind === 'segment' ? entity.name : `${serviceOf(entity)} › ${entity.name}`;
    case 'service':
      return serviceOf(entity);
    case 'annotation':
    case 'rootcause':
      // Both describe the whole request: the trace counts under its value (below).
      return undefined;
  }
}

/** The trace's first value of an annotation: own keys only (the model's annotations have no prototype). */
function annotationOf(model: TraceModel, key: string): string | undefined {
  const entries = Object.hasOwn(model.annotations, key) ? model.annotations[key] : undefined;
  const first = entries?.[0];
  return first === undefined ? undefined : `${key}=${String(first.value)}`;
}

/**
 * Time spent in an entity and in none of its children (children may overlap: a Parallel state's
 * branches), clipped to the entity's own span. This is what a hop itself costs.
 */
export function selfTime(entity: Entity): number {
  const spans = entity.children
    .map((c) => [Math.max(c.start, entity.start), Math.min(c.end, entity.end)] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let curStart = Number.NEGATIVE_INFINITY;
  let curEnd = Number.NEGATIVE_INFINITY;
  for (const [s, e] of spans) {
    if (s > curEnd) {
      if (curEnd > curStart) covered += curEnd - curStart;
      curStart = s;
      curEnd = e;
    } else curEnd = Math.max(curEnd, e);
  }
  if (curEnd > curStart) covered += curEnd - curStart;
  return Math.max(0, entity.end - entity.start - covered);
}

interface Acc {
  durations: number[];
  errors: number;
  faults: number;
  throttles: number;
  selfInSlow: number;
  worst: { traceId: string; duration: number }[];
}

/** Per-group statistics of a window of traces, most to blame for the p99 first. */
export function analyze(traces: readonly TraceModel[], groupBy: GroupBy = { by: 'name' }): Analysis {
  const models = traces.filter((t) => t.entities.length > 0);
  const responseTimes = ascending(models.map((t) => t.responseTime));
  const p99 = percentile(responseTimes, 99);
  const slow = new Set(models.filter((t) => t.responseTime >= p99));
  const groups = new Map<string, Acc>();
  const acc = (key: string) => {
    let a = groups.get(key);
    if (!a) {
      a = { durations: [], errors: 0, faults: 0, throttles: 0, selfInSlow: 0, worst: [] };
      groups.set(key, a);
    }
    return a;
  };
  const note = (a: Acc, traceId: string, duration: number) => {
    const existing = a.worst.find((w) => w.traceId === traceId);
    if (existing) existing.duration = Math.max(existing.duration, duration);
    else a.worst.push({ traceId, duration });
    if (a.worst.length > EXAMPLES * 4) {
      a.worst.sort((x, y) => y.duration - x.duration);
      a.worst.length = EXAMPLES;
    }
  };

  for (const model of models) {
    const isSlow = slow.has(model);
    if (groupBy.by === 'annotation' || groupBy.by === 'rootcause') {
      const key =
        groupBy.by === 'annotation' ? annotationOf(model, groupBy.key) : rootCauseKey(model, groupBy.kind);
      if (!key) continue;
      const a = acc(key);
      a.durations.push(model.responseTime);
      if (model.entities.some((n) => n.fault)) a.faults++;
      else if (model.entities.some((n) => n.error)) a.errors++;
      if (model.entities.some((n) => n.throttle)) a.throttles++;
      if (isSlow) a.selfInSlow += model.responseTime;
      note(a, model.id, model.responseTime);
      continue;
    }
    for (const node of model.entities) {
      const key = groupKey(node, groupBy);
      if (!key) continue;
      const a = acc(key);
      const duration = node.end - node.start;
      a.durations.push(duration);
      if (node.fault) a.faults++;
      else if (node.error) a.errors++;
      if (node.throttle) a.throttles++;
      if (isSlow) a.selfInSlow += selfTime(node);
      note(a, model.id, duration);
    }
  }

  const rows: AnalysisRow[] = [...groups].map(([key, a]) => {
    const sorted = ascending(a.durations);
    a.worst.sort((x, y) => y.duration - x.duration);
    return {
      key,
      count: sorted.length,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? 0,
      errors: a.errors,
      faults: a.faults,
      throttles: a.throttles,
      errorRate: sorted.length ? (a.errors + a.faults) / sorted.length : 0,
      p99Contribution: slow.size ? a.selfInSlow / slow.size : 0,
      exampleTraceIds: a.worst.slice(0, EXAMPLES).map((w) => w.traceId),
    };
  });
  rows.sort((x, y) => y.p99Contribution - x.p99Contribution || y.p99 - x.p99);

  return {
    traces: models.length,
    p50: percentile(responseTimes, 50),
    p99,
    max: responseTimes[responseTimes.length - 1] ?? 0,
    rows,
    slowTraceIds: [...models]
      .sort((x, y) => y.responseTime - x.responseTime)
      .slice(0, 5)
      .map((t) => t.id),
  };
}
