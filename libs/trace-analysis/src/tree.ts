import type { SegmentDoc, SubsegmentDoc } from '@parcel/xray-protocol';

/** A trace as stored: its id and its segment documents (subsegments nested or sent alone). */
export interface TraceDocs {
  id: string;
  segments: SegmentDoc[];
}

/** One timed node of a trace tree, linked across segments through `parent_id`. */
export interface SpanNode {
  id: string;
  name: string;
  /** The service (segment name) the node was recorded by. */
  service: string;
  kind: 'segment' | 'subsegment';
  start: number;
  end: number;
  error: boolean;
  fault: boolean;
  throttle: boolean;
  annotations: Record<string, string | number | boolean>;
  doc: SubsegmentDoc;
  parent?: SpanNode;
  children: SpanNode[];
  depth: number;
}

export interface TraceTree {
  id: string;
  roots: SpanNode[];
  nodes: SpanNode[];
  /** Earliest start to latest end, seconds. */
  duration: number;
  start: number;
  /** The entry segment's own duration (X-Ray's `responsetime`), seconds. */
  responseTime: number;
}

/** Links every segment and subsegment of a trace into one tree (or several roots when parts are missing). */
export function buildTree(trace: TraceDocs): TraceTree {
  const nodes: SpanNode[] = [];
  const byId = new Map<string, SpanNode>();
  const pendingParent = new Map<SpanNode, string>();

  const visit = (
    doc: SubsegmentDoc,
    service: string,
    kind: SpanNode['kind'],
    parentId?: string,
    parent?: SpanNode,
  ) => {
    const end = doc.end_time ?? doc.start_time;
    const node: SpanNode = {
      id: doc.id,
      name: doc.name,
      service,
      kind,
      start: doc.start_time,
      end,
      error: doc.error === true,
      fault: doc.fault === true,
      throttle: doc.throttle === true,
      annotations: doc.annotations ?? {},
      doc,
      children: [],
      depth: 0,
    };
    if (!byId.has(node.id)) {
      nodes.push(node);
      byId.set(node.id, node);
    }
    if (parent) {
      node.parent = parent;
      parent.children.push(node);
    } else if (parentId) pendingParent.set(node, parentId);
    for (const sub of doc.subsegments ?? []) visit(sub, service, 'subsegment', undefined, node);
  };
  for (const s of trace.segments) {
    // A subsegment sent on its own belongs to the service of the segment it hangs under; resolved below.
    visit(s, s.name, s.type === 'subsegment' ? 'subsegment' : 'segment', s.parent_id);
  }
  for (const [node, parentId] of pendingParent) {
    const parent = byId.get(parentId);
    if (!parent) continue;
    node.parent = parent;
    parent.children.push(node);
    if (node.kind === 'subsegment') {
      for (const n of walk(node)) n.service = parent.service;
    }
  }
  const roots = nodes.filter((n) => !n.parent);
  for (const root of roots) for (const n of walk(root)) n.depth = n.parent ? n.parent.depth + 1 : 0;
  for (const n of nodes) n.children.sort((a, b) => a.start - b.start);
  roots.sort((a, b) => a.start - b.start);

  const start = Math.min(...nodes.map((n) => n.start));
  const end = Math.max(...nodes.map((n) => n.end));
  const entry = roots.find((r) => r.kind === 'segment') ?? roots[0];
  return {
    id: trace.id,
    roots,
    nodes,
    start: nodes.length ? start : 0,
    duration: nodes.length ? end - start : 0,
    responseTime: entry ? entry.end - entry.start : 0,
  };
}

/** Depth-first, children in time order. */
export function* walk(node: SpanNode): Generator<SpanNode> {
  yield node;
  for (const child of node.children) yield* walk(child);
}

/**
 * Time spent in a node and in none of its children (children may overlap: a Parallel state's branches),
 * clipped to the node's own span. This is what a hop itself costs.
 */
export function selfTime(node: SpanNode): number {
  const spans = node.children
    .map((c) => [Math.max(c.start, node.start), Math.min(c.end, node.end)] as const)
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
  return Math.max(0, node.end - node.start - covered);
}
