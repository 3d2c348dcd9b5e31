import type { SegmentDoc, SubsegmentDoc } from '@parcel/xray-protocol';
import type { AnnotationValue } from './ast';

/** The request/response fields filters read (`http.url`, `http.status`, …). */
export interface HttpView {
  url?: string;
  method?: string;
  status?: number;
  userAgent?: string;
  clientIp?: string;
}

/** A service-graph node's identity: its name and type (segment `origin`, `AWS::…` or `remote` if inferred). */
export interface NodeRef {
  name: string;
  type?: string;
}

/**
 * What a `{ … }` block inside `service()`/`edge()` sees: one segment of a service, or one call on an edge.
 * Times are in seconds.
 */
export interface NodeFacts extends NodeRef {
  /** The segment (or, for an inferred node, subsegment) this was read from. */
  id: string;
  error: boolean;
  fault: boolean;
  throttle: boolean;
  /** `in_progress`, or no `end_time` yet. */
  inProgress: boolean;
  /** The node has no segment of its own: X-Ray inferred it from a `namespace: aws|remote` subsegment. */
  inferred: boolean;
  /** This is the trace's entry point (root segment). */
  root: boolean;
  responseTime?: number;
  http?: HttpView;
  user?: string;
}

/** A node of the trace's service graph with every segment it produced in this trace. */
export interface ServiceView extends NodeRef {
  inferred: boolean;
  root: boolean;
  segments: NodeFacts[];
  hasError: boolean;
  hasFault: boolean;
  hasThrottle: boolean;
}

/** A caller → callee connection with every call made over it in this trace. */
export interface EdgeView {
  from: NodeRef;
  to: NodeRef;
  calls: NodeFacts[];
  hasError: boolean;
  hasFault: boolean;
  hasThrottle: boolean;
}

/**
 * One trace, digested once (when it is stored) into what filters and trace summaries read.
 * Times are epoch seconds / seconds, as in segment documents.
 */
export interface TraceView {
  id: string;
  /** The trace's segment documents (not the separately sent subsegments), as received. */
  segments: SegmentDoc[];
  /** The entry point: the earliest segment whose parent is not in the trace. */
  rootSegment?: SegmentDoc;
  /** Earliest `start_time` of any segment or subsegment. */
  startTime?: number;
  /** Latest end − earliest start over all segments and subsegments ("including all downstream calls"). */
  duration?: number;
  /** The root segment's end − start: "time that the server took to send a response". */
  responseTime?: number;
  /** The root segment's request and response. */
  http?: HttpView;
  /** Every annotation value on any segment or subsegment, by key. Own properties only (null prototype). */
  annotations: Record<string, AnnotationValue[]>;
  /** Distinct `user` values of all segments. */
  users: string[];
  services: ServiceView[];
  edges: EdgeView[];
  /**
   * Trace-level status is the root segment's, as in X-Ray (TraceSummary.HasFault: "The root segment
   * document has a 500 series error"; filter guide: a downstream error the application handled is not a
   * trace `error`). Downstream problems are found with `service() { fault }`.
   */
  hasError: boolean;
  hasFault: boolean;
  hasThrottle: boolean;
  /** Some segment or subsegment is still in progress. */
  isPartial: boolean;
}

type Doc = SegmentDoc | SubsegmentDoc;

interface Located {
  doc: Doc;
  /** The top-level segment this document belongs to. */
  owner: SegmentDoc;
}

/**
 * Derives a `TraceView` from a trace's raw documents: top-level segments, and subsegments sent on their
 * own (`type: "subsegment"`, attached by `parent_id`). A document id seen twice keeps the completed copy
 * (SDKs send an in-progress segment first and the finished one later). Does not modify its input.
 */
export function buildTraceView(traceId: string, documents: readonly SegmentDoc[]): TraceView {
  const { segments, loose } = dedupe(documents);

  // Subsegments sent on their own hang under whichever document their parent_id names.
  const looseChildren = new Map<string, SubsegmentDoc[]>();
  for (const sub of loose) {
    if (sub.parent_id === undefined) continue;
    const list = looseChildren.get(sub.parent_id);
    if (list) list.push(sub);
    else looseChildren.set(sub.parent_id, [sub]);
  }
  const segmentParents = new Set<string>();
  for (const segment of segments) if (segment.parent_id !== undefined) segmentParents.add(segment.parent_id);

  const located = new Map<string, Located>();
  const inferredCalls: { owner: SegmentDoc; sub: SubsegmentDoc }[] = [];
  const visited: Doc[] = [];
  for (const segment of segments) {
    walk(segment, segment, false, located, looseChildren, segmentParents, inferredCalls, visited);
  }
  for (const sub of loose) if (!located.has(sub.id)) visited.push(sub); // orphans still count for annotations

  const root = findRoot(segments, located);
  const factsBySegment = new Map<SegmentDoc, NodeFacts>();
  for (const segment of segments) factsBySegment.set(segment, segmentFacts(segment, segment === root));
  const factsOf = (segment: SegmentDoc): NodeFacts => factsBySegment.get(segment) as NodeFacts;
  const graph = new GraphBuilder();
  for (const segment of segments) {
    const facts = factsOf(segment);
    const node = graph.node(facts, false, segment === root);
    node.segments.push(facts);
    const parent = segment.parent_id === undefined ? undefined : located.get(segment.parent_id);
    if (parent && parent.owner !== segment) {
      const call = parent.doc === parent.owner ? facts : mergeCall(facts, parent.doc);
      graph.call(factsOf(parent.owner), facts, call);
    }
  }
  for (const { owner, sub } of inferredCalls) {
    const facts = inferredFacts(sub);
    graph.node(facts, true, false).segments.push(facts);
    graph.call(factsOf(owner), facts, facts);
  }

  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  let isPartial = false;
  const annotations: Record<string, AnnotationValue[]> = Object.create(null);
  for (const doc of visited) {
    if (typeof doc.start_time === 'number' && doc.start_time < start) start = doc.start_time;
    if (typeof doc.end_time === 'number' && doc.end_time > end) end = doc.end_time;
    if (isInProgress(doc)) isPartial = true;
    if (doc.annotations && typeof doc.annotations === 'object') {
      for (const [key, value] of Object.entries(doc.annotations)) {
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
        const list = annotations[key];
        if (list === undefined) annotations[key] = [value];
        else if (!list.includes(value)) list.push(value);
      }
    }
  }
  const users: string[] = [];
  for (const segment of segments) {
    if (typeof segment.user === 'string' && !users.includes(segment.user)) users.push(segment.user);
  }

  const rootFacts = root ? factsOf(root) : undefined;
  return {
    id: traceId,
    segments,
    rootSegment: root,
    startTime: Number.isFinite(start) ? start : undefined,
    duration: Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, end - start) : undefined,
    responseTime: rootFacts?.responseTime,
    http: rootFacts?.http,
    annotations,
    users,
    services: graph.services,
    edges: graph.edges,
    hasError: rootFacts?.error ?? false,
    hasFault: rootFacts?.fault ?? false,
    hasThrottle: rootFacts?.throttle ?? false,
    isPartial,
  };
}

function dedupe(documents: readonly SegmentDoc[]): { segments: SegmentDoc[]; loose: SegmentDoc[] } {
  const byId = new Map<string, SegmentDoc>();
  for (const doc of documents) {
    if (!doc || typeof doc !== 'object' || typeof doc.id !== 'string') continue;
    const seen = byId.get(doc.id);
    if (seen === undefined || isInProgress(seen) || !isInProgress(doc)) byId.set(doc.id, doc);
  }
  const segments: SegmentDoc[] = [];
  const loose: SegmentDoc[] = [];
  for (const doc of byId.values()) (doc.type === 'subsegment' ? loose : segments).push(doc);
  return { segments, loose };
}

/** Indexes every subsegment under `owner` and collects the calls to nodes that have no segment of their own. */
function walk(
  doc: Doc,
  owner: SegmentDoc,
  insideInferred: boolean,
  located: Map<string, Located>,
  looseChildren: Map<string, SubsegmentDoc[]>,
  segmentParents: Set<string>,
  inferredCalls: { owner: SegmentDoc; sub: SubsegmentDoc }[],
  visited: Doc[],
): void {
  if (located.has(doc.id)) return; // a repeated id (or a parent_id cycle) is walked once
  located.set(doc.id, { doc, owner });
  visited.push(doc);
  const children = [
    ...(Array.isArray(doc.subsegments) ? doc.subsegments : []),
    ...(looseChildren.get(doc.id) ?? []),
  ];
  for (const child of children) {
    if (!child || typeof child !== 'object' || typeof child.id !== 'string') continue;
    let inferred = insideInferred;
    if (!insideInferred && isDownstreamCall(child) && !segmentParents.has(child.id)) {
      inferredCalls.push({ owner, sub: child });
      inferred = true; // its own subsegments (retries, attempts) belong to the same call
    }
    walk(child, owner, inferred, located, looseChildren, segmentParents, inferredCalls, visited);
  }
}

function isDownstreamCall(doc: SubsegmentDoc): boolean {
  return doc.namespace === 'aws' || doc.namespace === 'remote';
}

function isInProgress(doc: Doc): boolean {
  return doc.in_progress === true || typeof doc.end_time !== 'number';
}

/** The earliest segment whose parent is not in the trace (or has none). */
function findRoot(segments: SegmentDoc[], located: Map<string, Located>): SegmentDoc | undefined {
  let root: SegmentDoc | undefined;
  for (const segment of segments) {
    const parent = segment.parent_id === undefined ? undefined : located.get(segment.parent_id);
    if (parent && parent.owner !== segment) continue;
    if (root === undefined || segment.start_time < root.start_time) root = segment;
  }
  return root;
}

// Every view object below is built with all its fields present (undefined when absent) so that each kind
// has one hidden class: compiled filters then read them through monomorphic property accesses.
function httpOf(doc: Doc): HttpView | undefined {
  const http = doc.http;
  if (!http || typeof http !== 'object') return undefined;
  const request = http.request ?? {};
  const response = http.response ?? {};
  return {
    url: typeof request.url === 'string' ? request.url : undefined,
    method: typeof request.method === 'string' ? request.method : undefined,
    status: typeof response.status === 'number' ? response.status : undefined,
    userAgent: typeof request.user_agent === 'string' ? request.user_agent : undefined,
    clientIp: typeof request.client_ip === 'string' ? request.client_ip : undefined,
  };
}

function baseFacts(
  doc: Doc,
  type: string | undefined,
  inferred: boolean,
  root: boolean,
  user?: string,
): NodeFacts {
  const inProgress = isInProgress(doc);
  return {
    id: doc.id,
    name: doc.name,
    type,
    error: doc.error === true,
    fault: doc.fault === true,
    throttle: doc.throttle === true,
    inProgress,
    inferred,
    root,
    responseTime: inProgress ? undefined : Math.max(0, (doc.end_time as number) - doc.start_time),
    http: httpOf(doc),
    user,
  };
}

function segmentFacts(segment: SegmentDoc, root: boolean): NodeFacts {
  return baseFacts(
    segment,
    typeof segment.origin === 'string' ? segment.origin : undefined,
    false,
    root,
    typeof segment.user === 'string' ? segment.user : undefined,
  );
}

/** Node types X-Ray gives inferred AWS nodes where it differs from `AWS::<subsegment name>`. */
const INFERRED_AWS_TYPES: Record<string, string> = { DynamoDB: 'AWS::DynamoDB::Table' };

/** X-Ray names inferred nodes after the subsegment; AWS calls get an `AWS::…` type, others `remote`. */
function inferredFacts(sub: SubsegmentDoc): NodeFacts {
  const type =
    sub.namespace === 'aws'
      ? Object.hasOwn(INFERRED_AWS_TYPES, sub.name)
        ? (INFERRED_AWS_TYPES[sub.name] as string)
        : `AWS::${sub.name}`
      : 'remote';
  return baseFacts(sub, type, true, false);
}

/**
 * A call to a service that has its own segment, seen from both ends: failed if either side says so (a
 * caller's timeout is a fault on the connection even if the callee answered 200), timed by the caller's
 * subsegment (which includes the network), with the callee's HTTP view when it has one.
 */
function mergeCall(callee: NodeFacts, callerSub: Doc): NodeFacts {
  const caller = baseFacts(callerSub, undefined, false, false);
  return {
    id: callee.id,
    name: callee.name,
    type: callee.type,
    error: callee.error || caller.error,
    fault: callee.fault || caller.fault,
    throttle: callee.throttle || caller.throttle,
    inProgress: callee.inProgress || caller.inProgress,
    inferred: callee.inferred,
    root: callee.root,
    responseTime: caller.responseTime ?? callee.responseTime,
    http: callee.http ?? caller.http,
    user: callee.user,
  };
}

class GraphBuilder {
  readonly services: ServiceView[] = [];
  readonly edges: EdgeView[] = [];
  private readonly nodesByKey = new Map<string, ServiceView>();
  private readonly edgesByKey = new Map<string, EdgeView>();

  node(facts: NodeFacts, inferred: boolean, root: boolean): ServiceView {
    const key = nodeKey(facts);
    let node = this.nodesByKey.get(key);
    if (node === undefined) {
      node = {
        name: facts.name,
        inferred,
        root,
        segments: [],
        hasError: false,
        hasFault: false,
        hasThrottle: false,
      };
      if (facts.type !== undefined) node.type = facts.type;
      this.nodesByKey.set(key, node);
      this.services.push(node);
    }
    node.root ||= root;
    node.hasError ||= facts.error;
    node.hasFault ||= facts.fault;
    node.hasThrottle ||= facts.throttle;
    return node;
  }

  edge(from: NodeFacts, to: NodeFacts): EdgeView {
    const key = `${nodeKey(from)}\u0001${nodeKey(to)}`;
    let edge = this.edgesByKey.get(key);
    if (edge === undefined) {
      edge = {
        from: ref(from),
        to: ref(to),
        calls: [],
        hasError: false,
        hasFault: false,
        hasThrottle: false,
      };
      this.edgesByKey.set(key, edge);
      this.edges.push(edge);
    }
    return edge;
  }

  call(from: NodeFacts, to: NodeFacts, call: NodeFacts): void {
    const edge = this.edge(from, to);
    edge.calls.push(call);
    edge.hasError ||= call.error;
    edge.hasFault ||= call.fault;
    edge.hasThrottle ||= call.throttle;
  }
}

function nodeKey(node: NodeRef): string {
  return `${node.name}\u0000${node.type ?? ''}`;
}

function ref(node: NodeRef): NodeRef {
  return { name: node.name, type: node.type };
}
