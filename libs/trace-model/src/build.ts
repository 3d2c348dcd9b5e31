import type { SegmentDoc, SubsegmentDoc } from '@parcel/xray-protocol';
import type {
  AnnotationEntry,
  AnnotationValue,
  EdgeView,
  Entity,
  Facts,
  HttpView,
  RootView,
  ServiceEdge,
  ServiceNode,
  ServiceView,
  TraceModel,
} from './model';
import { inferredNode, nodeKey } from './node-types';
import { errorRootCauses, faultRootCauses, responseTimeRootCauses } from './root-causes';

/**
 * Deepest nesting kept, counted across segments (a root segment is 0). A real request here is about a
 * dozen levels deep; a sender can make thousands (every subsegment sent as its own document), and
 * everything that prints a tree (JSON.stringify, the console) must stay within bounds.
 */
export const MAX_TRACE_DEPTH = 256;

/** The client node: the caller of every entry point. Not in `TraceModel.services`. */
export const CLIENT: ServiceNode = Object.freeze({
  key: nodeKey('client', 'client'),
  name: 'client',
  type: 'client',
  names: ['client'],
  inferred: false,
  root: false,
  facts: [],
  hasError: false,
  hasFault: false,
  hasThrottle: false,
}) as ServiceNode;

type Doc = SubsegmentDoc & { origin?: string; user?: string; parent_id?: string; type?: string };

const isDoc = (value: unknown): value is Doc =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Doc).id === 'string' &&
  typeof (value as Doc).name === 'string' &&
  typeof (value as Doc).start_time === 'number';

const inProgressOf = (doc: Doc) => doc.in_progress === true || typeof doc.end_time !== 'number';

function newEntity(doc: Doc, kind: Entity['kind']): Entity {
  const inProgress = inProgressOf(doc);
  return {
    id: doc.id,
    name: doc.name,
    kind,
    doc,
    start: doc.start_time,
    end: inProgress ? doc.start_time : (doc.end_time as number),
    inProgress,
    error: doc.error === true,
    fault: doc.fault === true,
    throttle: doc.throttle === true,
    remote: doc.namespace === 'aws' || doc.namespace === 'remote',
    depth: 0,
    parent: undefined,
    children: [],
    segment: undefined,
    service: undefined,
  };
}

/**
 * One document per id: a completed copy wins over an in-progress one (SDKs send a segment in progress
 * first and closed later); otherwise the later one wins.
 */
function latestDocuments(documents: Iterable<SegmentDoc>): Doc[] {
  const byId = new Map<string, Doc>();
  for (const doc of documents) {
    if (!isDoc(doc)) continue;
    const seen = byId.get(doc.id);
    if (seen === undefined || inProgressOf(seen) || !inProgressOf(doc)) byId.set(doc.id, doc);
  }
  return [...byId.values()];
}

/**
 * Assembles a trace from its stored documents (segments, and subsegments sent on their own) and derives
 * everything the service reads from it. Does not modify its input. Every walk is iterative and the tree
 * is cut at `MAX_TRACE_DEPTH`, so no document a sender can make overflows the stack.
 */
export function buildTraceModel(id: string, documents: Iterable<SegmentDoc>): TraceModel {
  const docs = latestDocuments(documents);
  // A subsegment can be both nested in its parent's document and sent on its own (in progress inline,
  // closed separately): the completed copy takes the nested place.
  const sent = new Map<string, Doc>();
  for (const doc of docs) if (doc.type === 'subsegment') sent.set(doc.id, doc);
  const byId = new Map<string, Entity>();
  const tops: Entity[] = [];
  // Entities for every document and every subsegment nested in one; nested children linked now.
  const expand = (top: Entity) => {
    const stack: Entity[] = [top];
    while (stack.length > 0) {
      const entity = stack.pop() as Entity;
      const nested = entity.doc.subsegments;
      if (!Array.isArray(nested)) continue;
      for (const child of nested) {
        if (!isDoc(child) || byId.has(child.id)) continue;
        const alone = sent.get(child.id);
        const useAlone = alone !== undefined && (inProgressOf(child) || !inProgressOf(alone));
        if (alone !== undefined) sent.delete(child.id);
        const sub = newEntity(useAlone ? alone : child, 'subsegment');
        sub.parent = entity;
        entity.children.push(sub);
        byId.set(sub.id, sub);
        stack.push(sub);
      }
    }
  };
  for (const doc of docs) {
    if (doc.type === 'subsegment' || byId.has(doc.id)) continue;
    const top = newEntity(doc, 'segment');
    byId.set(top.id, top);
    tops.push(top);
    expand(top);
  }
  for (const doc of sent.values()) {
    if (byId.has(doc.id)) continue; // nested somewhere already: placed there
    const top = newEntity(doc, 'subsegment');
    byId.set(top.id, top);
    tops.push(top);
    expand(top);
  }
  const attachLater: Entity[] = [];
  for (const top of tops) {
    const parentId = top.doc.parent_id;
    if (typeof parentId === 'string') attachLater.push(top);
  }
  let orphans = 0;
  for (const entity of attachLater) {
    const parent = byId.get(entity.doc.parent_id as string);
    if (parent === undefined || parent === entity) {
      if (entity.kind === 'subsegment') orphans++;
      continue;
    }
    entity.parent = parent;
    parent.children.push(entity);
  }

  // Depth-first from the roots (children by start time); what a parent_id cycle leaves unreached becomes
  // a root of its own, so every entity is listed once.
  const byStart = (a: Entity, b: Entity) => a.start - b.start;
  const roots = tops.filter((e) => e.parent === undefined).sort(byStart);
  const entities: Entity[] = [];
  const reached = new Set<Entity>();
  let cutAtDepth = 0;
  const walkFrom = (root: Entity) => {
    root.parent = undefined;
    root.depth = 0;
    const stack: Entity[] = [root];
    while (stack.length > 0) {
      const entity = stack.pop() as Entity;
      if (reached.has(entity)) continue;
      reached.add(entity);
      entities.push(entity);
      entity.children.sort(byStart);
      if (entity.depth >= MAX_TRACE_DEPTH && entity.children.length > 0) {
        cutAtDepth += countBelow(entity, reached);
        entity.children = [];
        continue;
      }
      for (let i = entity.children.length - 1; i >= 0; i--) {
        const child = entity.children[i] as Entity;
        child.depth = entity.depth + 1;
        stack.push(child);
      }
    }
  };
  for (const root of roots) walkFrom(root);
  for (const top of tops) {
    if (reached.has(top)) continue;
    // In a cycle: cut it loose from its parent.
    const parent = top.parent;
    if (parent) parent.children = parent.children.filter((c) => c !== top);
    roots.push(top);
    walkFrom(top);
  }

  return derive(id, entities, roots, orphans, cutAtDepth);
}

/** How many entities hang below `entity` (iteratively), marking them reached so they are not listed. */
function countBelow(entity: Entity, reached: Set<Entity>): number {
  let count = 0;
  const stack = [...entity.children];
  while (stack.length > 0) {
    const e = stack.pop() as Entity;
    if (reached.has(e)) continue;
    reached.add(e);
    count++;
    for (const c of e.children) stack.push(c);
  }
  return count;
}

function httpOf(doc: Doc): HttpView | undefined {
  const http = doc.http;
  if (!http || typeof http !== 'object') return undefined;
  const request = (typeof http.request === 'object' && http.request) || {};
  const response = (typeof http.response === 'object' && http.response) || {};
  return {
    url: typeof request.url === 'string' ? request.url : undefined,
    method: typeof request.method === 'string' ? request.method : undefined,
    status: typeof response.status === 'number' ? response.status : undefined,
    userAgent: typeof request.user_agent === 'string' ? request.user_agent : undefined,
    clientIp: typeof request.client_ip === 'string' ? request.client_ip : undefined,
  };
}

// Every Facts object is built with all its fields present (undefined when absent), so compiled filters
// read one hidden class.
function factsOf(entity: Entity, node: ServiceNode, root: boolean): Facts {
  const doc = entity.doc;
  return {
    id: entity.id,
    start: entity.start,
    name: node.name,
    type: node.type,
    error: entity.error,
    fault: entity.fault,
    throttle: entity.throttle,
    inProgress: entity.inProgress,
    inferred: node.inferred,
    root,
    responseTime: entity.inProgress ? undefined : Math.max(0, entity.end - entity.start),
    http: httpOf(doc),
    user: typeof doc.user === 'string' ? doc.user : undefined,
  };
}

/**
 * A call to a service that has its own segment, seen from both ends: failed if either side says so (a
 * caller's timeout is a fault on the connection even if the callee answered 200), timed by the caller's
 * subsegment (which includes the network), with the callee's HTTP view when it has one.
 */
function mergeCall(callee: Facts, caller: Entity): Facts {
  return {
    ...callee,
    start: caller.start,
    error: callee.error || caller.error,
    fault: callee.fault || caller.fault,
    throttle: callee.throttle || caller.throttle,
    inProgress: callee.inProgress || caller.inProgress,
    responseTime: caller.inProgress ? callee.responseTime : Math.max(0, caller.end - caller.start),
    http: callee.http ?? httpOf(caller.doc),
  };
}

/** `TraceModel.factsOf`: a model is only ever asked about its own nodes and edges. */
const ownFacts = (target: ServiceView | EdgeView): readonly Facts[] =>
  'calls' in target ? (target as ServiceEdge).calls : (target as ServiceNode).facts;

function derive(
  id: string,
  entities: Entity[],
  roots: Entity[],
  orphans: number,
  cutAtDepth: number,
): TraceModel {
  const nodes = new Map<string, ServiceNode>();
  const edges = new Map<string, ServiceEdge>();
  const node = (name: string, type: string | undefined, inferred: boolean): ServiceNode => {
    const key = nodeKey(name, type);
    let found = nodes.get(key);
    if (!found) {
      found = {
        key,
        name,
        ...(type !== undefined ? { type } : {}),
        names: [name],
        inferred,
        root: false,
        facts: [],
        hasError: false,
        hasFault: false,
        hasThrottle: false,
      };
      nodes.set(key, found);
    }
    return found;
  };
  const record = (target: ServiceNode | ServiceEdge, facts: Facts) => {
    target.hasError ||= facts.error;
    target.hasFault ||= facts.fault;
    target.hasThrottle ||= facts.throttle;
  };
  const call = (from: ServiceNode, to: ServiceNode, facts: Facts) => {
    const key = `${from.key}\u0001${to.key}`;
    let edge = edges.get(key);
    if (!edge) {
      edge = { key, from, to, calls: [], hasError: false, hasFault: false, hasThrottle: false };
      edges.set(key, edge);
    }
    edge.calls.push(facts);
    record(edge, facts);
  };

  let rootSegment: Entity | undefined;
  for (const root of roots) {
    if (root.kind === 'segment' && (rootSegment === undefined || root.start < rootSegment.start))
      rootSegment = root;
  }

  let startTime = Number.POSITIVE_INFINITY;
  let endTime = Number.NEGATIVE_INFINITY;
  let inProgress = false;
  let hasThrottle = false;
  const segments: Entity[] = [];
  const annotations: Record<string, AnnotationEntry[]> = Object.create(null);
  const annotationValues: Record<string, AnnotationValue[]> = Object.create(null);
  // key → (typed value → entry): one lookup per annotation, so aggregation is linear in the values.
  const annotationIndex = new Map<string, Map<string, AnnotationEntry>>();
  const users = new Map<string, ServiceNode[]>();

  // Entities come parent first, so each inherits its segment and service from its parent.
  for (const entity of entities) {
    if (entity.start < startTime) startTime = entity.start;
    if (entity.end > endTime) endTime = entity.end;
    if (entity.inProgress) inProgress = true;
    const parent = entity.parent;
    if (entity.kind === 'segment') {
      segments.push(entity);
      if (entity.throttle) hasThrottle = true;
      entity.segment = entity;
      const origin = typeof entity.doc.origin === 'string' ? entity.doc.origin : undefined;
      const own = node(entity.name, origin, false);
      entity.service = own;
      const isRoot = entity === rootSegment;
      if (isRoot) own.root = true;
      const facts = factsOf(entity, own, isRoot);
      own.facts.push(facts);
      record(own, facts);
      if (parent === undefined) call(CLIENT, own, facts);
      else if (parent.service) {
        call(parent.service, own, parent.kind === 'segment' ? facts : mergeCall(facts, parent));
      }
      const user = entity.doc.user;
      if (typeof user === 'string' && user !== '') {
        const list = users.get(user) ?? [];
        if (!list.includes(own)) list.push(own);
        users.set(user, list);
      }
    } else {
      entity.segment = parent?.segment;
      entity.service = parent?.service;
      // A downstream call answered by no segment of its own is an inferred node; subsegments inside it
      // (retries, attempts) belong to the same call.
      const answered = entity.children.some((c) => c.kind === 'segment');
      if (entity.remote && !answered && parent?.service && !parent.service.inferred) {
        const inferred = inferredNode(entity.doc);
        const target = node(inferred.name, inferred.type, true);
        if (inferred.alias && !target.names.includes(inferred.alias)) target.names.push(inferred.alias);
        const facts = factsOf(entity, target, false);
        target.facts.push(facts);
        record(target, facts);
        call(parent.service, target, facts);
        entity.service = target;
      }
    }
    const own = entity.doc.annotations;
    if (own && typeof own === 'object') {
      const service = entity.segment?.service;
      for (const key of Object.keys(own)) {
        const value = (own as Record<string, unknown>)[key];
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
        let byValue = annotationIndex.get(key);
        if (!byValue) {
          byValue = new Map();
          annotationIndex.set(key, byValue);
          annotations[key] = [];
          annotationValues[key] = [];
        }
        const typed = `${typeof value}:${String(value)}`;
        let entry = byValue.get(typed);
        if (!entry) {
          entry = { value, services: [] };
          byValue.set(typed, entry);
          (annotations[key] as AnnotationEntry[]).push(entry);
          (annotationValues[key] as AnnotationValue[]).push(value);
        }
        if (service && !entry.services.includes(service)) entry.services.push(service);
      }
    }
  }
  if (entities.length === 0) {
    startTime = 0;
    endTime = 0;
  }

  const rootFacts = rootSegment?.service?.facts.find((f) => f.id === rootSegment.id);
  const root: RootView | undefined = rootFacts && {
    name: rootFacts.name,
    type: rootFacts.type,
    inProgress: rootFacts.inProgress,
  };
  const model: TraceModel = {
    id,
    entities,
    roots,
    segments,
    rootSegment,
    startTime,
    endTime,
    duration: Math.max(0, endTime - startTime),
    responseTime: rootFacts?.responseTime ?? 0,
    http: rootFacts?.http,
    hasFault: rootSegment?.fault ?? false,
    hasError: rootSegment?.error ?? false,
    hasThrottle,
    isPartial: inProgress || orphans > 0 || cutAtDepth > 0 || rootSegment === undefined,
    cutAtDepth,
    root,
    entityCount: entities.length,
    annotations,
    annotationValues,
    users,
    userNames: [...users.keys()],
    services: [...nodes.values()],
    edges: [...edges.values()],
    factsOf: ownFacts,
    faultRootCauses: [],
    errorRootCauses: [],
    responseTimeRootCauses: [],
  };
  model.faultRootCauses = faultRootCauses(model);
  model.errorRootCauses = errorRootCauses(model);
  model.responseTimeRootCauses = responseTimeRootCauses(model);
  return model;
}
