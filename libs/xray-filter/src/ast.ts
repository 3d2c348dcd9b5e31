/**
 * The filter expression syntax tree. Parsing normalises it: keyword names are lower case, operator words
 * upper case, `AND`/`OR` chains are flattened (both are associative), redundant parentheses disappear and
 * `ok = true`, `ok != false` and `ok` all become the same flag node. So two texts that mean the same thing
 * by construction parse to equal trees, and `formatFilter` output parses back to the tree it came from.
 */

/** Boolean keywords (X-Ray docs, "Boolean keywords"). */
export type FlagKeyword =
  | 'ok'
  | 'error'
  | 'fault'
  | 'throttle'
  | 'partial'
  | 'inferred'
  | 'root'
  /** Inside `rootcause.… { }` only: the element is the first / last of its list; the entity is remote. */
  | 'first'
  | 'last'
  | 'remote';
/** Number keywords, in seconds for times (X-Ray docs, "Number keywords"). */
export type NumberKeyword =
  | 'responsetime'
  | 'duration'
  | 'http.status'
  /** Inside `rootcause.… { }` only: the element's 0-based position in its list; an entity's share of the response time. */
  | 'index'
  | 'coverage';
/** String keywords (X-Ray docs, "String keywords"). */
export type StringKeyword =
  | 'http.url'
  | 'http.method'
  | 'http.useragent'
  | 'http.clientip'
  | 'user'
  | 'name'
  | 'type'
  /** Inside `rootcause.… { }` only: an exception's message. */
  | 'message';

export type NumberOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type StringOp = '=' | '!=' | 'CONTAINS' | 'BEGINSWITH' | 'ENDSWITH';
export type ComparisonOp = NumberOp | StringOp;
export type AnnotationValue = string | number | boolean;

/** `rootcause.fault|error|responsetime` … */
export type RootCauseKind = 'fault' | 'error' | 'responsetime';
/** … `.service|entity|exception`: which list of the trace's root causes a block applies to. */
export type RootCauseTarget = 'service' | 'entity' | 'exception';

/** Which node(s) of the service graph `service(…)`/`edge(…)` mean; `null` fields match anything. */
export interface NodeSelector {
  name: string | null;
  type: string | null;
}

export type FilterAst =
  | { kind: 'and'; operands: FilterAst[] }
  | { kind: 'or'; operands: FilterAst[] }
  | { kind: 'not'; operand: FilterAst }
  /** `ok`, `ok = false`, … — true when the keyword's value equals `value`. */
  | { kind: 'flag'; keyword: FlagKeyword; value: boolean }
  | { kind: 'number'; keyword: NumberKeyword; op: NumberOp; value: number }
  | { kind: 'string'; keyword: StringKeyword; op: StringOp; value: string }
  /** A string keyword on its own (`http.url AND …`): true when the field is set. */
  | { kind: 'present'; keyword: StringKeyword }
  | { kind: 'annotation'; key: string; op: ComparisonOp; value: AnnotationValue }
  /** `annotation.key` on its own: true when some segment carries the annotation. */
  | { kind: 'annotationPresent'; key: string }
  /** `service(…)` with an optional `{ filter }` applied to the node's segments. */
  | { kind: 'service'; node: NodeSelector; filter: FilterAst | null }
  /** `edge(from, to)` with an optional `{ filter }` applied to the calls on that connection. */
  | { kind: 'edge'; from: NodeSelector; to: NodeSelector; filter: FilterAst | null }
  /** `group.name = "x"` / `group.arn = "…"`: the trace matches that group's filter expression. */
  | { kind: 'group'; by: 'name' | 'arn'; value: string }
  /** `rootcause.fault.service { name = "DynamoDB" }`: some element of the trace's root causes matches. */
  | { kind: 'rootcause'; cause: RootCauseKind; target: RootCauseTarget; filter: FilterAst | null };

export const FLAG_KEYWORDS: readonly FlagKeyword[] = [
  'ok',
  'error',
  'fault',
  'throttle',
  'partial',
  'inferred',
  'root',
  'first',
  'last',
  'remote',
];
export const NUMBER_KEYWORDS: readonly NumberKeyword[] = [
  'responsetime',
  'duration',
  'http.status',
  'index',
  'coverage',
];
export const STRING_KEYWORDS: readonly StringKeyword[] = [
  'http.url',
  'http.method',
  'http.useragent',
  'http.clientip',
  'user',
  'name',
  'type',
  'message',
];
export const ROOT_CAUSE_KINDS: readonly RootCauseKind[] = ['fault', 'error', 'responsetime'];
export const ROOT_CAUSE_TARGETS: readonly RootCauseTarget[] = ['service', 'entity', 'exception'];
/** Keywords that mean something only inside a `rootcause.… { }` block. */
export const ROOT_CAUSE_ONLY_KEYWORDS: readonly string[] = [
  'first',
  'last',
  'remote',
  'index',
  'coverage',
  'message',
];
/** The keywords a `rootcause.… { }` block reads, and the only place some of them mean anything. */
export const ROOT_CAUSE_KEYWORDS: readonly string[] = [
  'name',
  'type',
  'message',
  'inferred',
  'remote',
  'first',
  'last',
  'index',
  'coverage',
];
export const NUMBER_OPS: readonly NumberOp[] = ['=', '!=', '<', '<=', '>', '>='];
export const STRING_OPS: readonly StringOp[] = ['=', '!=', 'CONTAINS', 'BEGINSWITH', 'ENDSWITH'];
