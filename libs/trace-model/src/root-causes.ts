import type {
  Entity,
  RootCause,
  RootCauseEntity,
  RootCauseException,
  RootCauseService,
  TraceModel,
} from './model';

/** Root causes listed per kind at most (a trace with hundreds of failed calls names the first ones). */
const MAX_ROOT_CAUSES = 10;
const MAX_EXCEPTIONS = 10;

type Flag = 'fault' | 'error';

function exceptionsOf(entity: Entity): RootCauseException[] {
  const cause = entity.doc.cause;
  if (!cause || typeof cause !== 'object' || !Array.isArray(cause.exceptions)) return [];
  const out: RootCauseException[] = [];
  for (const ex of cause.exceptions.slice(0, MAX_EXCEPTIONS)) {
    if (!ex || typeof ex !== 'object') continue;
    out.push({
      name: typeof ex.type === 'string' ? ex.type : 'Exception',
      message: typeof ex.message === 'string' ? ex.message : '',
    });
  }
  return out;
}

const isRemote = (entity: Entity) =>
  entity.remote ||
  (typeof entity.doc.cause === 'object' &&
    Array.isArray(entity.doc.cause.exceptions) &&
    entity.doc.cause.exceptions.some((ex) => ex?.remote === true));

/** The entities from the tree's root down to `target`, inclusive. */
function pathTo(target: Entity): Entity[] {
  const path: Entity[] = [];
  for (let e: Entity | undefined = target; e !== undefined; e = e.parent) path.push(e);
  return path.reverse();
}

/** A path of entities as X-Ray reports it: one entry per service crossed, each with its entities. */
function servicesOf(path: Entity[], entityOf: (e: Entity) => RootCauseEntity): RootCauseService[] {
  const services: RootCauseService[] = [];
  let current: RootCauseService | undefined;
  let currentKey: string | undefined;
  for (const entity of path) {
    const node = entity.service;
    if (!node) continue;
    if (node.key !== currentKey) {
      current = {
        name: node.name,
        ...(node.type !== undefined ? { type: node.type } : {}),
        names: node.names,
        inferred: node.inferred,
        entityPath: [],
      };
      currentKey = node.key;
      services.push(current);
    }
    current?.entityPath.push(entityOf(entity));
  }
  return services;
}

/**
 * Fault (5xx) or error (4xx) root causes as X-Ray computes them: for each deepest entity carrying the
 * flag (none of its descendants carries it), the path from the root to it, service by service, with the
 * exceptions of the entities on it that carry the flag. `ClientImpacting` when the root segment carries
 * it too (the client saw it); a fault the application handled has a root cause but no client impact.
 */
function flagRootCauses(model: TraceModel, flag: Flag): RootCause[] {
  const carries = (e: Entity) => (flag === 'fault' ? e.fault : e.error || e.throttle);
  // Entities are listed parents first: one backwards pass finds which carry the flag below them.
  const flaggedBelow = new Set<Entity>();
  for (let i = model.entities.length - 1; i >= 0; i--) {
    const entity = model.entities[i] as Entity;
    if ((carries(entity) || flaggedBelow.has(entity)) && entity.parent) flaggedBelow.add(entity.parent);
  }
  const clientImpacting = model.rootSegment !== undefined && carries(model.rootSegment);
  const causes: RootCause[] = [];
  for (const entity of model.entities) {
    if (causes.length >= MAX_ROOT_CAUSES) break;
    if (!carries(entity) || flaggedBelow.has(entity)) continue;
    const services = servicesOf(pathTo(entity), (e) => ({
      name: e.name,
      remote: isRemote(e),
      exceptions: carries(e) ? exceptionsOf(e) : [],
    }));
    if (services.length > 0) causes.push({ services, clientImpacting });
  }
  return causes;
}

export const faultRootCauses = (model: TraceModel) => flagRootCauses(model, 'fault');
export const errorRootCauses = (model: TraceModel) => flagRootCauses(model, 'error');

/** A child takes the blame from its parent when it holds at least this share of the parent's time. */
const DOMINANT_SHARE = 0.5;

/**
 * The response-time root cause: from the root segment down, the child that holds most of its parent's
 * time, as long as it holds at least half of it (below that the time is the parent's own). Each entity
 * on the path has its `Coverage`: its duration over the root segment's response time.
 */
export function responseTimeRootCauses(model: TraceModel): RootCause[] {
  const root = model.rootSegment;
  if (!root || root.inProgress || model.responseTime <= 0) return [];
  const path: Entity[] = [root];
  let current = root;
  for (;;) {
    let longest: Entity | undefined;
    for (const child of current.children) {
      if (child.inProgress) continue;
      if (!longest || child.end - child.start > longest.end - longest.start) longest = child;
    }
    if (!longest || longest.end - longest.start < DOMINANT_SHARE * (current.end - current.start)) break;
    path.push(longest);
    current = longest;
  }
  const total = model.responseTime;
  const services = servicesOf(path, (e) => ({
    name: e.name,
    remote: isRemote(e),
    exceptions: [],
    coverage: Math.round(((e.end - e.start) / total) * 1000) / 1000,
  }));
  return [{ services, clientImpacting: true }];
}
