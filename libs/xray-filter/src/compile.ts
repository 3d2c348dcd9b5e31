import type { FactsView as NodeFacts, NodeRef, RootCause, TraceView } from '@parcel/trace-model';
import type {
  AnnotationValue,
  ComparisonOp,
  FilterAst,
  FlagKeyword,
  NodeSelector,
  NumberKeyword,
  NumberOp,
  RootCauseKind,
  RootCauseTarget,
  StringKeyword,
  StringOp,
} from './ast';
import { FilterSyntaxError } from './errors';
import { parseFilter } from './parser';

export type TracePredicate = (trace: TraceView) => boolean;

/** Finds a group's filter expression by name or ARN (`group.name = "…"`); undefined when there is none. */
export type GroupResolver = (by: 'name' | 'arn', value: string) => string | undefined;

export interface CompileOptions {
  groups?: GroupResolver;
}

/** Blocks ({ … }) cannot name groups: the parser refuses it. */
const NO_GROUPS: Context = { groups: undefined, nesting: 0 };

/** How deep groups may refer to groups (a group naming itself would never end). */
const MAX_GROUP_NESTING = 4;
type Predicate<T> = (subject: T) => boolean;

/**
 * How keywords read their subject. The same keyword means the trace (root segment, any segment for `user`)
 * at the top level and one segment or call inside `service(){…}`/`edge(){…}`.
 */
interface Scope<T> {
  flag(keyword: FlagKeyword): Predicate<T>;
  number(keyword: NumberKeyword): (subject: T) => number | undefined;
  /** Single-valued string keywords. */
  string(keyword: StringKeyword): ((subject: T) => string | undefined) | undefined;
  /** Multi-valued string keywords (`user` over a whole trace). */
  strings(keyword: StringKeyword): ((subject: T) => readonly string[]) | undefined;
}

const TRACE_SCOPE: Scope<TraceView> = {
  flag(keyword) {
    switch (keyword) {
      case 'ok':
        return (t) => !t.hasError && !t.hasFault && !t.hasThrottle;
      case 'error':
        return (t) => t.hasError;
      case 'fault':
        return (t) => t.hasFault;
      case 'throttle':
        return (t) => t.hasThrottle;
      case 'partial':
        return (t) => t.isPartial;
      case 'inferred':
        return (t) => t.services.some((s) => s.inferred);
      case 'first':
      case 'last':
      case 'remote':
        // The parser allows these only inside a rootcause block.
        throw new FilterSyntaxError(0, `'${keyword}' applies inside rootcause { } only`);
      case 'root':
        return (t) => t.root !== undefined;
    }
  },
  number(keyword) {
    switch (keyword) {
      case 'index':
      case 'coverage':
        throw new FilterSyntaxError(0, `'${keyword}' applies inside rootcause { } only`);
      case 'responsetime':
        return (t) => (t.root && !t.root.inProgress ? t.responseTime : undefined);
      case 'duration':
        return (t) => (t.entityCount > 0 ? t.duration : undefined);
      case 'http.status':
        return (t) => t.http?.status;
    }
  },
  string(keyword) {
    switch (keyword) {
      case 'http.url':
        return (t) => t.http?.url;
      case 'http.method':
        return (t) => t.http?.method;
      case 'http.useragent':
        return (t) => t.http?.userAgent;
      case 'http.clientip':
        return (t) => t.http?.clientIp;
      case 'name':
        return (t) => t.root?.name;
      case 'type':
        return (t) => t.root?.type;
      case 'user':
        return undefined;
      case 'message':
        throw new FilterSyntaxError(0, `'${keyword}' applies inside rootcause { } only`);
    }
  },
  strings(keyword) {
    return keyword === 'user' ? (t) => t.userNames : undefined;
  },
};

const NODE_SCOPE: Scope<NodeFacts> = {
  flag(keyword) {
    switch (keyword) {
      case 'ok':
        return (n) => !n.error && !n.fault && !n.throttle;
      case 'partial':
        return (n) => n.inProgress;
      case 'first':
      case 'last':
      case 'remote':
        throw new FilterSyntaxError(0, `'${keyword}' applies inside rootcause { } only`);
      default:
        return (n) => n[keyword];
    }
  },
  number(keyword) {
    if (keyword === 'index' || keyword === 'coverage')
      throw new FilterSyntaxError(0, `'${keyword}' applies inside rootcause { } only`);
    // A node's own span is both its response time and its duration.
    return keyword === 'http.status' ? (n) => n.http?.status : (n) => n.responseTime;
  },
  string(keyword) {
    switch (keyword) {
      case 'http.url':
        return (n) => n.http?.url;
      case 'http.method':
        return (n) => n.http?.method;
      case 'http.useragent':
        return (n) => n.http?.userAgent;
      case 'http.clientip':
        return (n) => n.http?.clientIp;
      case 'user':
        return (n) => n.user;
      case 'name':
        return (n) => n.name;
      case 'type':
        return (n) => n.type;
      case 'message':
        throw new FilterSyntaxError(0, `'${keyword}' applies inside rootcause { } only`);
    }
  },
  strings() {
    return undefined;
  },
};

/**
 * One element of a root-cause list, as a `rootcause.… { }` block sees it (X-Ray developer guide, "Using
 * filter expressions": `first`, `last`, `index`, `remote`, `inferred`, `coverage`, `name`, `type`,
 * `message`). `index` is the 0-based position in the list.
 */
interface RootCauseItem {
  name: string;
  type: string | undefined;
  message: string | undefined;
  inferred: boolean;
  remote: boolean;
  first: boolean;
  last: boolean;
  index: number;
  coverage: number | undefined;
}

const ROOT_CAUSE_SCOPE: Scope<RootCauseItem> = {
  flag(keyword) {
    switch (keyword) {
      case 'inferred':
      case 'remote':
      case 'first':
      case 'last':
        return (r) => r[keyword];
      default:
        return () => false; // the parser lets no other flag in
    }
  },
  number(keyword) {
    if (keyword === 'index') return (r) => r.index;
    if (keyword === 'coverage') return (r) => r.coverage;
    return () => undefined;
  },
  string(keyword) {
    if (keyword === 'name') return (r) => r.name;
    if (keyword === 'type') return (r) => r.type;
    if (keyword === 'message') return (r) => r.message;
    return () => undefined;
  },
  strings() {
    return undefined;
  },
};

function causesOf(trace: TraceView, cause: RootCauseKind): readonly RootCause[] {
  if (cause === 'fault') return trace.faultRootCauses;
  if (cause === 'error') return trace.errorRootCauses;
  return trace.responseTimeRootCauses;
}

/** The elements of one root cause's service, entity or exception list. */
function itemsOf(cause: RootCause, target: RootCauseTarget): RootCauseItem[] {
  const items: Omit<RootCauseItem, 'first' | 'last' | 'index'>[] = [];
  for (const service of cause.services) {
    if (target === 'service') {
      items.push({
        name: service.name,
        type: service.type,
        message: undefined,
        inferred: service.inferred,
        remote: service.entityPath.some((e) => e.remote),
        coverage: service.entityPath[0]?.coverage,
      });
      continue;
    }
    for (const entity of service.entityPath) {
      if (target === 'entity') {
        items.push({
          name: entity.name,
          type: service.type,
          message: undefined,
          inferred: service.inferred,
          remote: entity.remote,
          coverage: entity.coverage,
        });
        continue;
      }
      for (const ex of entity.exceptions) {
        items.push({
          name: ex.name,
          type: service.type,
          message: ex.message,
          inferred: service.inferred,
          remote: entity.remote,
          coverage: undefined,
        });
      }
    }
  }
  return items.map((item, index) => ({
    ...item,
    index,
    first: index === 0,
    last: index === items.length - 1,
  }));
}

function compileRootCause(
  cause: RootCauseKind,
  target: RootCauseTarget,
  filter: FilterAst | null,
): TracePredicate {
  const inner = filter === null ? null : compile(filter, ROOT_CAUSE_SCOPE, NO_GROUPS);
  return (t) => {
    for (const rootCause of causesOf(t, cause)) {
      const items = itemsOf(rootCause, target);
      if (inner === null ? items.length > 0 : items.some(inner)) return true;
    }
    return false;
  };
}

/**
 * Compiles a filter once into a predicate over `TraceView`s (closures, no per-trace parsing or
 * allocation). Accepts expression text or a parsed tree; throws `FilterSyntaxError` for bad text.
 *
 * Comparisons against a field the trace does not have are false, `!=` included (`user != "bob"` needs a
 * user); fields with several values (`user`, `annotation.key`) match when any value does, and `!=` when
 * they are set and no value equals the literal.
 */
export function compileFilter(filter: string | FilterAst, options: CompileOptions = {}): TracePredicate {
  const ast = typeof filter === 'string' ? parseFilter(filter) : filter;
  return compile(ast, TRACE_SCOPE, { groups: options.groups, nesting: 0 });
}

interface Context {
  groups: GroupResolver | undefined;
  nesting: number;
}

function compileGroup(by: 'name' | 'arn', value: string, context: Context): TracePredicate {
  const expression = context.groups?.(by, value);
  if (expression === undefined)
    throw new FilterSyntaxError(0, `no group with ${by} ${JSON.stringify(value)}`);
  if (context.nesting >= MAX_GROUP_NESTING)
    throw new FilterSyntaxError(0, `groups refer to groups more than ${MAX_GROUP_NESTING} deep`);
  return compile(parseFilter(expression), TRACE_SCOPE, { ...context, nesting: context.nesting + 1 });
}

function compile<T>(ast: FilterAst, scope: Scope<T>, context: Context): Predicate<T> {
  switch (ast.kind) {
    case 'and':
      return all(ast.operands.map((o) => compile(o, scope, context)));
    case 'or':
      return any(ast.operands.map((o) => compile(o, scope, context)));
    case 'not': {
      const operand = compile(ast.operand, scope, context);
      return (x) => !operand(x);
    }
    case 'flag': {
      const read = scope.flag(ast.keyword);
      return ast.value ? read : (x) => !read(x);
    }
    case 'number': {
      const read = scope.number(ast.keyword);
      const test = numberTest(ast.op, ast.value);
      return (x) => {
        const value = read(x);
        return value !== undefined && test(value);
      };
    }
    case 'string':
    case 'present':
      return compileString(
        ast.keyword,
        ast.kind === 'string' ? ast.op : null,
        ast.kind === 'string' ? ast.value : '',
        scope,
      );
    case 'annotation':
    case 'annotationPresent':
      if (scope !== (TRACE_SCOPE as unknown))
        throw new FilterSyntaxError(0, 'annotations apply to whole traces only');
      return compileAnnotation(ast.key, ast.kind === 'annotation' ? ast : null) as unknown as Predicate<T>;
    case 'group':
      if (scope !== (TRACE_SCOPE as unknown))
        throw new FilterSyntaxError(0, 'groups apply to whole traces only');
      return compileGroup(ast.by, ast.value, context) as unknown as Predicate<T>;
    case 'rootcause':
      if (scope !== (TRACE_SCOPE as unknown))
        throw new FilterSyntaxError(0, 'rootcause keywords cannot be nested');
      return compileRootCause(ast.cause, ast.target, ast.filter) as unknown as Predicate<T>;
    case 'service':
    case 'edge':
      if (scope !== (TRACE_SCOPE as unknown))
        throw new FilterSyntaxError(0, `${ast.kind}() cannot be nested`);
      return (ast.kind === 'service'
        ? compileService(ast.node, ast.filter)
        : compileEdge(ast.from, ast.to, ast.filter)) as unknown as Predicate<T>;
  }
}

function all<T>(predicates: Predicate<T>[]): Predicate<T> {
  if (predicates.length === 2) {
    const [a, b] = predicates as [Predicate<T>, Predicate<T>];
    return (x) => a(x) && b(x);
  }
  return (x) => {
    for (const p of predicates) if (!p(x)) return false;
    return true;
  };
}

function any<T>(predicates: Predicate<T>[]): Predicate<T> {
  if (predicates.length === 2) {
    const [a, b] = predicates as [Predicate<T>, Predicate<T>];
    return (x) => a(x) || b(x);
  }
  return (x) => {
    for (const p of predicates) if (p(x)) return true;
    return false;
  };
}

function numberTest(op: NumberOp, limit: number): Predicate<number> {
  switch (op) {
    case '=':
      return (v) => v === limit;
    case '!=':
      return (v) => v !== limit;
    case '<':
      return (v) => v < limit;
    case '<=':
      return (v) => v <= limit;
    case '>':
      return (v) => v > limit;
    case '>=':
      return (v) => v >= limit;
  }
}

/** Tests one string value; `!=` is handled by the caller as "set and not equal". */
function stringTest(op: Exclude<StringOp, '!='>, literal: string): Predicate<string> {
  switch (op) {
    case '=':
      return (v) => v === literal;
    case 'CONTAINS':
      return (v) => v.includes(literal);
    case 'BEGINSWITH':
      return (v) => v.startsWith(literal);
    case 'ENDSWITH':
      return (v) => v.endsWith(literal);
  }
}

function compileString<T>(
  keyword: StringKeyword,
  op: StringOp | null,
  literal: string,
  scope: Scope<T>,
): Predicate<T> {
  const single = scope.string(keyword);
  if (single) {
    if (op === null) return (x) => single(x) !== undefined;
    if (op === '!=') {
      return (x) => {
        const v = single(x);
        return v !== undefined && v !== literal;
      };
    }
    const test = stringTest(op, literal);
    return (x) => {
      const v = single(x);
      return v !== undefined && test(v);
    };
  }
  const many = scope.strings(keyword) as (subject: T) => readonly string[];
  if (op === null) return (x) => many(x).length > 0;
  if (op === '!=') {
    return (x) => {
      const values = many(x);
      return values.length > 0 && !values.includes(literal);
    };
  }
  const test = stringTest(op, literal);
  return (x) => many(x).some(test);
}

function compileAnnotation(
  key: string,
  comparison: { op: ComparisonOp; value: AnnotationValue } | null,
): TracePredicate {
  // One property read per trace. A model's values have a null prototype; for other views the
  // array check keeps inherited members (`constructor`, `__proto__`) from passing for annotations.
  const valuesOf = (t: TraceView): readonly AnnotationValue[] | undefined => {
    const values = t.annotationValues[key];
    return Array.isArray(values) ? values : undefined;
  };
  if (comparison === null) return (t) => (valuesOf(t)?.length ?? 0) > 0;
  const { op, value } = comparison;
  if (op === '!=') {
    return (t) => {
      const values = valuesOf(t);
      return values !== undefined && values.length > 0 && !values.includes(value);
    };
  }
  if (op === '=') {
    return (t) => valuesOf(t)?.includes(value) ?? false;
  }
  let test: Predicate<AnnotationValue>;
  if (typeof value === 'number') {
    const numeric = numberTest(op as NumberOp, value);
    test = (v) => typeof v === 'number' && numeric(v);
  } else {
    const textual = stringTest(op as Exclude<StringOp, '!='>, String(value));
    test = (v) => typeof v === 'string' && textual(v);
  }
  return (t) => valuesOf(t)?.some(test) ?? false;
}

function selectorTest(node: NodeSelector): Predicate<NodeRef> {
  const { name, type } = node;
  if (name !== null && type !== null) return (n) => n.name === name && n.type === type;
  if (name !== null) return (n) => n.name === name;
  if (type !== null) return (n) => n.type === type;
  return () => true;
}

/** Status flags every service and edge view keeps in aggregate, so `{ fault }` needs no per-segment scan. */
type Summary = { hasError: boolean; hasFault: boolean; hasThrottle: boolean };
const SUMMARY_FIELDS: Partial<Record<FlagKeyword, keyof Summary>> = {
  error: 'hasError',
  fault: 'hasFault',
  throttle: 'hasThrottle',
};

/** `{ fault }`, `{ error = true }`…: the aggregate flag answers for all segments at once. */
function summaryField(filter: FilterAst | null): keyof Summary | undefined {
  return filter?.kind === 'flag' && filter.value ? SUMMARY_FIELDS[filter.keyword] : undefined;
}

function compileService(node: NodeSelector, filter: FilterAst | null): TracePredicate {
  const matches = selectorTest(node);
  const field = summaryField(filter);
  if (field !== undefined) {
    return (t) => {
      for (const service of t.services) if (service[field] && matches(service)) return true;
      return false;
    };
  }
  const inner = filter === null ? null : compile(filter, NODE_SCOPE, NO_GROUPS);
  return (t) => {
    for (const service of t.services) {
      if (matches(service) && (inner === null || t.factsOf(service).some(inner))) return true;
    }
    return false;
  };
}

function compileEdge(from: NodeSelector, to: NodeSelector, filter: FilterAst | null): TracePredicate {
  const fromMatches = selectorTest(from);
  const toMatches = selectorTest(to);
  const field = summaryField(filter);
  if (field !== undefined) {
    return (t) => {
      for (const edge of t.edges)
        if (edge[field] && fromMatches(edge.from) && toMatches(edge.to)) return true;
      return false;
    };
  }
  const inner = filter === null ? null : compile(filter, NODE_SCOPE, NO_GROUPS);
  return (t) => {
    for (const edge of t.edges) {
      if (fromMatches(edge.from) && toMatches(edge.to) && (inner === null || t.factsOf(edge).some(inner)))
        return true;
    }
    return false;
  };
}
