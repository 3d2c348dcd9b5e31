import { ascending, percentile } from './stats';
import { buildTree, type SpanNode, selfTime, type TraceDocs, type TraceTree } from './tree';

/** How rows are grouped: by hop name (within its service), by service, or by an annotation's value. */
export type GroupBy = { by: 'name' } | { by: 'service' } | { by: 'annotation'; key: string };

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

function groupKey(node: SpanNode, groupBy: GroupBy): string | undefined {
  switch (groupBy.by) {
    case 'name':
      return node.kind === 'segment' ? node.name : `${node.service} › ${node.name}`;
    case 'service':
      return node.service;
    case 'annotation': {
      // An annotation describes the whole request: every node of the trace counts under its value.
      return undefined;
    }
  }
}

function annotationOf(tree: TraceTree, key: string): string | undefined {
  for (const n of tree.nodes) {
    const v = n.annotations[key];
    if (v !== undefined) return `${key}=${String(v)}`;
  }
  return undefined;
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
export function analyze(traces: readonly TraceDocs[], groupBy: GroupBy = { by: 'name' }): Analysis {
  const trees = traces.map(buildTree).filter((t) => t.nodes.length > 0);
  const responseTimes = ascending(trees.map((t) => t.responseTime));
  const p99 = percentile(responseTimes, 99);
  const slow = new Set(trees.filter((t) => t.responseTime >= p99));
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

  for (const tree of trees) {
    const isSlow = slow.has(tree);
    if (groupBy.by === 'annotation') {
      const key = annotationOf(tree, groupBy.key);
      if (!key) continue;
      const a = acc(key);
      a.durations.push(tree.responseTime);
      if (tree.nodes.some((n) => n.fault)) a.faults++;
      else if (tree.nodes.some((n) => n.error)) a.errors++;
      if (tree.nodes.some((n) => n.throttle)) a.throttles++;
      if (isSlow) a.selfInSlow += tree.responseTime;
      note(a, tree.id, tree.responseTime);
      continue;
    }
    for (const node of tree.nodes) {
      const key = groupKey(node, groupBy);
      if (!key) continue;
      const a = acc(key);
      const duration = node.end - node.start;
      a.durations.push(duration);
      if (node.fault) a.faults++;
      else if (node.error) a.errors++;
      if (node.throttle) a.throttles++;
      if (isSlow) a.selfInSlow += selfTime(node);
      note(a, tree.id, duration);
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
    traces: trees.length,
    p50: percentile(responseTimes, 50),
    p99,
    max: responseTimes[responseTimes.length - 1] ?? 0,
    rows,
    slowTraceIds: [...trees]
      .sort((x, y) => y.responseTime - x.responseTime)
      .slice(0, 5)
      .map((t) => t.id),
  };
}
