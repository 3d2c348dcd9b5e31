import { CLIENT } from './build';
import type {
  AnnotationValue,
  EdgeView,
  Facts,
  FactsView,
  HttpView,
  ServiceView,
  TraceModel,
  TraceView,
} from './model';

/**
 * A fact's row in `CompactTraceView.numbers`: start, response time (NaN when there is none), flags plus
 * `FLAG_LIMIT` × (index of its `http` in `refs`, + 1), index of its `user` in `refs` (−1 when none).
 */
const ROW = 4;
/** Trace-level numbers before the rows: startTime, endTime, duration, responseTime, index of `http` in refs. */
const HEAD = 5;
const ERROR = 1;
const FAULT = 2;
const THROTTLE = 4;
const IN_PROGRESS = 8;
const ROOT = 16;
const FLAG_LIMIT = 32;

/** How many distinct shapes and values are remembered for sharing before the tables start afresh. */
const INTERN_LIMIT = 4096;

/** A node of a shape: shared by every trace of that shape; its facts are rows of each trace. */
interface ShapeNode extends ServiceView {
  /** Rows of the trace's `numbers` holding this node's facts. */
  readonly rows: readonly number[];
}

interface ShapeEdge extends EdgeView {
  readonly rows: readonly number[];
}

/**
 * Everything of a trace's view that does not vary from one trace of the same kind to the next: nodes,
 * edges and their aggregate flags, the trace's flags, root, users and root causes. Parcel traces come in a
 * handful of shapes, so 100,000 traces share a few dozen of these.
 */
interface Shape
  extends Pick<
    TraceView,
    | 'hasFault'
    | 'hasError'
    | 'hasThrottle'
    | 'isPartial'
    | 'root'
    | 'entityCount'
    | 'userNames'
    | 'faultRootCauses'
    | 'errorRootCauses'
    | 'responseTimeRootCauses'
  > {
  services: readonly ShapeNode[];
  edges: readonly ShapeEdge[];
}

/** A bounded intern table: values seen recently are shared; past the limit it starts afresh (sharing is an optimisation only). */
class InternTable<T> {
  private readonly byKey = new Map<string, T>();

  get(key: string, make: () => T): T {
    let value = this.byKey.get(key);
    if (value === undefined) {
      if (this.byKey.size >= INTERN_LIMIT) this.byKey.clear();
      value = make();
      this.byKey.set(key, value);
    }
    return value;
  }
}

/**
 * A trace view in a few arrays: the shape it shares with traces like it, its numbers (times and each
 * fact's row) and the per-trace values rows refer to (HTTP views, users). Facts are built when asked for.
 */
class CompactTraceView implements TraceView {
  constructor(
    readonly id: string,
    private readonly shape: Shape,
    private readonly numbers: readonly number[],
    private readonly refs: readonly (HttpView | string)[],
    readonly annotationValues: Readonly<Record<string, readonly AnnotationValue[]>>,
  ) {}

  get startTime() {
    return this.numbers[0] as number;
  }
  get endTime() {
    return this.numbers[1] as number;
  }
  get duration() {
    return this.numbers[2] as number;
  }
  get responseTime() {
    return this.numbers[3] as number;
  }
  get http() {
    return this.refs[this.numbers[4] as number] as HttpView | undefined;
  }
  get hasFault() {
    return this.shape.hasFault;
  }
  get hasError() {
    return this.shape.hasError;
  }
  get hasThrottle() {
    return this.shape.hasThrottle;
  }
  get isPartial() {
    return this.shape.isPartial;
  }
  get root() {
    return this.shape.root;
  }
  get entityCount() {
    return this.shape.entityCount;
  }
  get userNames() {
    return this.shape.userNames;
  }
  get services() {
    return this.shape.services;
  }
  get edges() {
    return this.shape.edges;
  }
  get faultRootCauses() {
    return this.shape.faultRootCauses;
  }
  get errorRootCauses() {
    return this.shape.errorRootCauses;
  }
  get responseTimeRootCauses() {
    return this.shape.responseTimeRootCauses;
  }

  factsOf(target: ServiceView | EdgeView): FactsView[] {
    const { rows } = target as ShapeNode | ShapeEdge;
    // A call's facts are its callee's (name, type, inferred), as the model builds them.
    const node = 'to' in target ? target.to : target;
    return rows.map((row) => {
      const at = HEAD + row * ROW;
      const responseTime = this.numbers[at + 1] as number;
      const code = this.numbers[at + 2] as number;
      const flags = code % FLAG_LIMIT;
      const http = (code - flags) / FLAG_LIMIT - 1;
      const user = this.numbers[at + 3] as number;
      return {
        start: this.numbers[at] as number,
        name: node.name,
        type: node.type,
        error: (flags & ERROR) !== 0,
        fault: (flags & FAULT) !== 0,
        throttle: (flags & THROTTLE) !== 0,
        inProgress: (flags & IN_PROGRESS) !== 0,
        inferred: node.inferred,
        root: (flags & ROOT) !== 0,
        responseTime: Number.isNaN(responseTime) ? undefined : responseTime,
        http: http < 0 ? undefined : (this.refs[http] as HttpView),
        user: user < 0 ? undefined : (this.refs[user] as string),
      };
    });
  }
}

const flagsOf = (f: Facts) =>
  (f.error ? ERROR : 0) |
  (f.fault ? FAULT : 0) |
  (f.throttle ? THROTTLE : 0) |
  (f.inProgress ? IN_PROGRESS : 0) |
  (f.root ? ROOT : 0);

const httpKey = (h: HttpView) => JSON.stringify([h.url, h.method, h.status, h.userAgent, h.clientIp]);

/**
 * Turns trace models into compact `TraceView`s that answer every filter, the service graph and the
 * statistics exactly as the model does, at a fraction of its memory: what traces share (their shape,
 * common HTTP views, annotation values, root causes) is held once. One per store; not thread-bound.
 */
export class TraceViewCompactor {
  private readonly shapes = new InternTable<Shape>();
  private readonly httpViews = new InternTable<HttpView>();
  private readonly values = new InternTable<readonly AnnotationValue[]>();

  compact(model: TraceModel): TraceView {
    const refs: (HttpView | string)[] = [];
    const refIndex = new Map<HttpView | string, number>();
    const ref = (value: HttpView | string | undefined): number => {
      if (value === undefined) return -1;
      const shared = typeof value === 'string' ? value : this.httpViews.get(httpKey(value), () => value);
      let index = refIndex.get(shared);
      if (index === undefined) {
        index = refs.length;
        refs.push(shared);
        refIndex.set(shared, index);
      }
      return index;
    };
    const numbers: number[] = [
      model.startTime,
      model.endTime,
      model.duration,
      model.responseTime,
      ref(model.http),
    ];
    // One row per distinct facts object: a segment's facts are both its node's and its incoming call's.
    const rowOf = new Map<Facts, number>();
    const rows = (facts: readonly Facts[]) =>
      facts.map((f) => {
        let row = rowOf.get(f);
        if (row === undefined) {
          row = rowOf.size;
          rowOf.set(f, row);
          numbers.push(
            f.start,
            f.responseTime ?? Number.NaN,
            flagsOf(f) + FLAG_LIMIT * (ref(f.http) + 1),
            ref(f.user),
          );
        }
        return row;
      });
    const nodeRows = model.services.map((n) => rows(n.facts));
    const edgeRows = model.edges.map((e) => rows(e.calls));
    const shape = this.shapes.get(shapeKey(model, nodeRows, edgeRows), () =>
      shapeOf(model, nodeRows, edgeRows),
    );
    const annotationValues: Record<string, readonly AnnotationValue[]> = {};
    for (const key of Object.keys(model.annotationValues)) {
      const values = model.annotationValues[key] as AnnotationValue[];
      const shared = this.values.get(JSON.stringify(values), () => values);
      // Assigned, `__proto__` would set the prototype: it is defined as an own property instead.
      if (key === '__proto__')
        Object.defineProperty(annotationValues, key, { value: shared, enumerable: true, writable: true });
      else annotationValues[key] = shared;
    }
    return new CompactTraceView(model.id, shape, numbers, refs, annotationValues);
  }
}

function shapeKey(model: TraceModel, nodeRows: number[][], edgeRows: number[][]): string {
  const index = new Map(model.services.map((n, i) => [n, i]));
  return JSON.stringify([
    model.hasFault,
    model.hasError,
    model.hasThrottle,
    model.isPartial,
    model.root,
    model.entityCount,
    model.userNames,
    model.services.map((n, i) => [
      n.key,
      n.name,
      n.type,
      n.names,
      n.inferred,
      n.root,
      n.hasError,
      n.hasFault,
      n.hasThrottle,
      nodeRows[i],
    ]),
    model.edges.map((e, i) => [
      e.from === CLIENT ? -1 : index.get(e.from),
      index.get(e.to),
      e.key,
      e.hasError,
      e.hasFault,
      e.hasThrottle,
      edgeRows[i],
    ]),
    model.faultRootCauses,
    model.errorRootCauses,
    model.responseTimeRootCauses,
  ]);
}

function shapeOf(model: TraceModel, nodeRows: number[][], edgeRows: number[][]): Shape {
  const nodes = new Map<ServiceView, ShapeNode>();
  const services = model.services.map((n, i) => {
    const node: ShapeNode = {
      key: n.key,
      name: n.name,
      // Always present (undefined for no type): one hidden class for every node a filter loops over.
      type: n.type,
      names: [...n.names],
      inferred: n.inferred,
      root: n.root,
      hasError: n.hasError,
      hasFault: n.hasFault,
      hasThrottle: n.hasThrottle,
      rows: nodeRows[i] as number[],
    };
    nodes.set(n, node);
    return node;
  });
  const edges = model.edges.map(
    (e, i): ShapeEdge => ({
      key: e.key,
      from: e.from === CLIENT ? CLIENT : (nodes.get(e.from) as ShapeNode),
      to: nodes.get(e.to) as ShapeNode,
      hasError: e.hasError,
      hasFault: e.hasFault,
      hasThrottle: e.hasThrottle,
      rows: edgeRows[i] as number[],
    }),
  );
  return {
    hasFault: model.hasFault,
    hasError: model.hasError,
    hasThrottle: model.hasThrottle,
    isPartial: model.isPartial,
    root: model.root,
    entityCount: model.entityCount,
    userNames: model.userNames,
    services,
    edges,
    faultRootCauses: model.faultRootCauses,
    errorRootCauses: model.errorRootCauses,
    responseTimeRootCauses: model.responseTimeRootCauses,
  };
}
