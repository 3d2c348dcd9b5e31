import type { SegmentDoc, SubsegmentDoc } from '@parcel/xray-protocol';

/**
 * Everything the API derives from one trace, computed once per change of the trace (not per query):
 * the assembled segment documents, the summary fields, and the trace's own slice of the service graph.
 * A filter-expression evaluator reads the same object (`TraceView`), so it costs no extra pass.
 */

/** How one call went, as a node or an edge of the service graph counts it. */
export interface Outcome {
  responseTime: number;
  ok: boolean;
  error: boolean;
  throttle: boolean;
  fault: boolean;
}

export interface TraceNode {
  /** `name` + NUL + `type`: what makes two nodes the same service. */
  key: string;
  name: string;
  names: string[];
  type?: string;
  /** Served the trace's root segment (called by the client). */
  root: boolean;
  /** Known only from a caller's subsegment (DynamoDB, a remote HTTP host, a database). */
  inferred: boolean;
  outcomes: Outcome[];
}

export interface TraceEdge {
  /** Node keys; the client node is `CLIENT_KEY`. */
  from: string;
  to: string;
  outcomes: Outcome[];
}

export const CLIENT_KEY = 'client\u0000client';

export interface AnnotationEntry {
  value: string | number | boolean;
  services: ServiceIdWire[];
}

export interface ServiceIdWire {
  Name: string;
  Names: string[];
  Type?: string;
}

/** What the service knows of one trace; the argument of a filter predicate. */
export interface TraceView {
  id: string;
  /** Earliest start and latest end of any segment, epoch seconds. */
  startTime: number;
  endTime: number;
  duration: number;
  /** The root segment's own duration: what the client waited. */
  responseTime: number;
  hasFault: boolean;
  hasError: boolean;
  hasThrottle: boolean;
  isPartial: boolean;
  /** The root segment (no parent inside the trace), if it has arrived. */
  root?: SegmentDoc;
  /** Top-level segments with every subsegment nested, separately sent ones included. */
  segments: SegmentDoc[];
  /**
   * The stored documents as received: segments, then separately sent subsegments. What
   * `@parcel/xray-filter`'s `buildTraceView(id, documents)` takes; this object is replaced whenever the
   * trace changes, so a `WeakMap` keyed on it memoises anything derived from it.
   */
  documents: SegmentDoc[];
  nodes: TraceNode[];
  edges: TraceEdge[];
  annotations: Map<string, AnnotationEntry[]>;
  users: Map<string, ServiceIdWire[]>;
}

/** Known AWS service names (the subsegment `name` the SDKs use) and the resource type X-Ray shows. */
const AWS_NODE_TYPES: Record<string, string> = {
  DynamoDB: 'AWS::DynamoDB::Table',
  S3: 'AWS::S3::Bucket',
  SQS: 'AWS::SQS::Queue',
  SNS: 'AWS::SNS',
  Lambda: 'AWS::Lambda',
  SFN: 'AWS::StepFunctions::StateMachine',
  StepFunctions: 'AWS::StepFunctions::StateMachine',
  'Step Functions': 'AWS::StepFunctions::StateMachine',
  XRay: 'AWS::XRay',
};

const URL_HOST = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]+)/i;

const nodeKey = (name: string, type: string | undefined) => `${name}\u0000${type ?? ''}`;

function outcomeOf(doc: SubsegmentDoc): Outcome {
  const end = typeof doc.end_time === 'number' ? doc.end_time : doc.start_time;
  const fault = doc.fault === true;
  const throttle = doc.throttle === true;
  const error = doc.error === true || throttle;
  return { responseTime: Math.max(0, end - doc.start_time), ok: !fault && !error, error, throttle, fault };
}

/** The node a segment stands for: its name and, from `origin`, its type. */
export function segmentService(doc: SegmentDoc): { name: string; type?: string } {
  return doc.origin ? { name: doc.name, type: doc.origin } : { name: doc.name };
}

/** The node a downstream call stands for when no segment of its own answers it; undefined if local. */
export function inferredService(
  sub: SubsegmentDoc,
): { name: string; type: string; alias?: string } | undefined {
  if (sub.namespace === 'aws') {
    const table = typeof sub.aws?.table_name === 'string' ? sub.aws.table_name : undefined;
    return { name: sub.name, type: AWS_NODE_TYPES[sub.name] ?? `AWS::${sub.name}`, alias: table };
  }
  if (sub.namespace === 'remote') {
    if (sub.sql) {
      const dbType = typeof sub.sql.database_type === 'string' ? sub.sql.database_type : 'Database::SQL';
      return { name: sub.name, type: dbType };
    }
    const url = sub.http?.request?.url;
    // The host of the URL called (a regex, not `new URL`: this runs for every remote call of every trace).
    const host = typeof url === 'string' ? URL_HOST.exec(url)?.[1] : undefined;
    return { name: host ? host.toLowerCase() : sub.name, type: 'remote' };
  }
  return undefined;
}

function cloneTree(sub: SubsegmentDoc, index: Map<string, SubsegmentDoc>): SubsegmentDoc {
  const copy: SubsegmentDoc = { ...sub };
  index.set(copy.id, copy);
  if (sub.subsegments) copy.subsegments = sub.subsegments.map((s) => cloneTree(s, index));
  return copy;
}

/**
 * Nests separately sent subsegments under their parents (a segment or another subsegment, at any
 * depth). Works on copies: the stored documents are never mutated. Returns the assembled top-level
 * segments and how many sent subsegments found no parent (which makes the trace partial).
 */
export function assembleSegments(
  segments: Iterable<SegmentDoc>,
  sentSubsegments: Iterable<SegmentDoc>,
): { segments: SegmentDoc[]; orphans: number } {
  const index = new Map<string, SubsegmentDoc>();
  const assembled: SegmentDoc[] = [];
  for (const seg of segments) assembled.push(cloneTree(seg, index) as SegmentDoc);
  const pending: { parent: string; node: SubsegmentDoc }[] = [];
  for (const sent of sentSubsegments) {
    const { type: _type, trace_id: _trace, parent_id, ...rest } = sent;
    const existing = index.get(rest.id);
    // An inline copy of the same subsegment (sent once in progress, once closed) is replaced in place.
    const node = cloneTree(rest, index);
    if (existing) {
      // Replace the whole document (an in-progress flag must not survive), keeping its place in the tree.
      for (const key of Object.keys(existing)) delete (existing as unknown as Record<string, unknown>)[key];
      Object.assign(existing, node);
      index.set(rest.id, existing);
      continue;
    }
    pending.push({ parent: parent_id as string, node });
  }
  let orphans = 0;
  for (const { parent, node } of pending) {
    const target = index.get(parent);
    if (!target || target === node) {
      orphans++;
      continue;
    }
    const children = target.subsegments ?? [];
    children.push(node);
    target.subsegments = children;
  }
  return { segments: assembled, orphans };
}

function addOutcome<T extends { outcomes: Outcome[] }>(
  map: Map<string, T>,
  key: string,
  make: () => T,
  o: Outcome,
) {
  let entry = map.get(key);
  if (!entry) {
    entry = make();
    map.set(key, entry);
  }
  entry.outcomes.push(o);
  return entry;
}

/** Derives the summary fields and the graph slice of a trace from its stored documents. */
export function analyzeTrace(
  id: string,
  segments: Iterable<SegmentDoc>,
  sentSubsegments: Iterable<SegmentDoc>,
): TraceView {
  const ownSegments = [...segments];
  const ownSubsegments = [...sentSubsegments];
  const { segments: assembled, orphans } = assembleSegments(ownSegments, ownSubsegments);
  let startTime = Number.POSITIVE_INFINITY;
  let endTime = Number.NEGATIVE_INFINITY;
  let hasFault = false;
  let hasError = false;
  let hasThrottle = false;
  let isPartial = orphans > 0;

  // Which segment owns each id (its own or one of its subsegments'), to resolve parent_id to a caller.
  const owner = new Map<string, SegmentDoc>();
  const visit = (seg: SegmentDoc, sub: SubsegmentDoc) => {
    owner.set(sub.id, seg);
    if (sub.fault) hasFault = true;
    if (sub.error) hasError = true;
    if (sub.throttle) hasThrottle = true;
    if (sub.in_progress) isPartial = true;
    for (const child of sub.subsegments ?? []) visit(seg, child);
  };
  for (const seg of assembled) {
    visit(seg, seg);
    startTime = Math.min(startTime, seg.start_time);
    const end = typeof seg.end_time === 'number' ? seg.end_time : seg.start_time;
    endTime = Math.max(endTime, end);
  }
  if (assembled.length === 0) {
    startTime = 0;
    endTime = 0;
    isPartial = true;
  }

  const nodes = new Map<string, TraceNode>();
  const edges = new Map<string, TraceEdge>();
  const annotations = new Map<string, AnnotationEntry[]>();
  const users = new Map<string, ServiceIdWire[]>();
  const childSegmentParents = new Set<string>();
  const roots: SegmentDoc[] = [];
  for (const seg of assembled) {
    if (seg.parent_id && owner.has(seg.parent_id)) childSegmentParents.add(seg.parent_id);
    else roots.push(seg);
  }
  // The root: the earliest segment without a parent inside the trace.
  roots.sort((a, b) => a.start_time - b.start_time);
  const root = roots[0];

  const serviceIdOf = (node: TraceNode): ServiceIdWire =>
    node.type
      ? { Name: node.name, Names: node.names, Type: node.type }
      : { Name: node.name, Names: node.names };

  const makeNode = (name: string, type: string | undefined, inferred: boolean) => (): TraceNode => ({
    key: nodeKey(name, type),
    name,
    names: [name],
    ...(type ? { type } : {}),
    root: false,
    inferred,
    outcomes: [],
  });

  const recordAnnotations = (doc: SubsegmentDoc, service: ServiceIdWire) => {
    if (!doc.annotations) return;
    for (const [key, value] of Object.entries(doc.annotations)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
      const list = annotations.get(key) ?? [];
      const same = list.find((e) => e.value === value);
      if (same) {
        if (!same.services.some((s) => s.Name === service.Name && s.Type === service.Type))
          same.services.push(service);
      } else list.push({ value, services: [service] });
      annotations.set(key, list);
    }
  };

  for (const seg of assembled) {
    const svc = segmentService(seg);
    const node = addOutcome(
      nodes,
      nodeKey(svc.name, svc.type),
      makeNode(svc.name, svc.type, false),
      outcomeOf(seg),
    );
    const serviceId = serviceIdOf(node);
    if (seg === root || !(seg.parent_id && owner.has(seg.parent_id))) {
      if (seg === root) node.root = true;
      addOutcome(
        edges,
        `${CLIENT_KEY}\u0001${node.key}`,
        () => ({ from: CLIENT_KEY, to: node.key, outcomes: [] }),
        outcomeOf(seg),
      );
    } else {
      const caller = owner.get(seg.parent_id as string) as SegmentDoc;
      const callerSvc = segmentService(caller);
      const from = nodeKey(callerSvc.name, callerSvc.type);
      addOutcome(
        edges,
        `${from}\u0001${node.key}`,
        () => ({ from, to: node.key, outcomes: [] }),
        outcomeOf(seg),
      );
    }
    if (typeof seg.user === 'string' && seg.user !== '') {
      const list = users.get(seg.user) ?? [];
      if (!list.some((s) => s.Name === serviceId.Name)) list.push(serviceId);
      users.set(seg.user, list);
    }
    const walk = (sub: SubsegmentDoc) => {
      recordAnnotations(sub, serviceId);
      // A call answered by a segment of its own is that segment's edge; otherwise infer the callee.
      const answered = childSegmentParents.has(sub.id);
      const inferred = sub === seg || answered ? undefined : inferredService(sub);
      if (inferred) {
        const target = addOutcome(
          nodes,
          nodeKey(inferred.name, inferred.type),
          makeNode(inferred.name, inferred.type, true),
          outcomeOf(sub),
        );
        if (inferred.alias && !target.names.includes(inferred.alias)) target.names.push(inferred.alias);
        addOutcome(
          edges,
          `${node.key}\u0001${target.key}`,
          () => ({ from: node.key, to: target.key, outcomes: [] }),
          outcomeOf(sub),
        );
        // Subsegments of an inferred call (retries, marshalling) belong to the same call.
        for (const child of sub.subsegments ?? []) recordAnnotationsDeep(child, serviceId);
        return;
      }
      for (const child of sub.subsegments ?? []) walk(child);
    };
    const recordAnnotationsDeep = (sub: SubsegmentDoc, service: ServiceIdWire) => {
      recordAnnotations(sub, service);
      for (const child of sub.subsegments ?? []) recordAnnotationsDeep(child, service);
    };
    walk(seg);
  }

  const rootOutcome = root ? outcomeOf(root) : undefined;
  return {
    id,
    startTime,
    endTime,
    duration: Math.max(0, endTime - startTime),
    responseTime: rootOutcome ? rootOutcome.responseTime : 0,
    hasFault,
    hasError,
    hasThrottle,
    isPartial,
    ...(root ? { root } : {}),
    segments: assembled,
    documents: [...ownSegments, ...ownSubsegments],
    nodes: [...nodes.values()],
    edges: [...edges.values()],
    annotations,
    users,
  };
}

/** `ServiceIds` of a trace: every node it touched, segment-backed or inferred. */
export function serviceIds(view: TraceView): ServiceIdWire[] {
  return view.nodes.map((n) =>
    n.type ? { Name: n.name, Names: n.names, Type: n.type } : { Name: n.name, Names: n.names },
  );
}
