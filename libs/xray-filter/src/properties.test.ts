import { buildTraceModel, type TraceModel as TraceView, TraceViewCompactor } from '@parcel/trace-model';
import { parcelTraceDocuments } from '@parcel/trace-model/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AnnotationValue,
  type FilterAst,
  FLAG_KEYWORDS,
  type NodeSelector,
  NUMBER_KEYWORDS,
  NUMBER_OPS,
  ROOT_CAUSE_KEYWORDS,
  ROOT_CAUSE_KINDS,
  ROOT_CAUSE_ONLY_KEYWORDS,
  ROOT_CAUSE_TARGETS,
  STRING_KEYWORDS,
  STRING_OPS,
} from './ast';
import { compileFilter } from './compile';
import { FilterSyntaxError } from './errors';
import { formatFilter } from './format';
import { MAX_FILTER_LENGTH, parseFilter } from './parser';

/** Mirrors what parsing does to AND/OR chains, so generated trees compare with parsed ones. */
function normalize(ast: FilterAst): FilterAst {
  switch (ast.kind) {
    case 'and':
    case 'or': {
      const operands: FilterAst[] = [];
      for (const child of ast.operands.map(normalize)) {
        if (child.kind === ast.kind) operands.push(...child.operands);
        else operands.push(child);
      }
      return { kind: ast.kind, operands };
    }
    case 'not':
      return { kind: 'not', operand: normalize(ast.operand) };
    case 'service':
      return { ...ast, filter: ast.filter && normalize(ast.filter) };
    case 'edge':
      return { ...ast, filter: ast.filter && normalize(ast.filter) };
    case 'rootcause':
      return { ...ast, filter: ast.filter && normalize(ast.filter) };
    default:
      return ast;
  }
}

/** The keywords of one scope: trace and node blocks, or rootcause blocks. */
const inScope = <T extends string>(keywords: readonly T[], rootCause: boolean): T[] =>
  keywords.filter((k) =>
    rootCause ? ROOT_CAUSE_KEYWORDS.includes(k) : !ROOT_CAUSE_ONLY_KEYWORDS.includes(k),
  );

function leafArbitrary(
  text: fc.Arbitrary<string>,
  number: fc.Arbitrary<number>,
  rootCause: boolean,
): fc.Arbitrary<FilterAst> {
  const flag = fc.record({
    kind: fc.constant('flag' as const),
    keyword: fc.constantFrom(...inScope(FLAG_KEYWORDS, rootCause)),
    value: fc.boolean(),
  });
  const numeric = fc.record({
    kind: fc.constant('number' as const),
    keyword: fc.constantFrom(...inScope(NUMBER_KEYWORDS, rootCause)),
    op: fc.constantFrom(...NUMBER_OPS),
    value: number,
  });
  const textual = fc.record({
    kind: fc.constant('string' as const),
    keyword: fc.constantFrom(...inScope(STRING_KEYWORDS, rootCause)),
    op: fc.constantFrom(...STRING_OPS),
    value: text,
  });
  const present = fc.record({
    kind: fc.constant('present' as const),
    keyword: fc.constantFrom(...inScope(STRING_KEYWORDS, rootCause)),
  });
  return fc.oneof(flag, numeric, textual, present);
}

function treeArbitrary(text: fc.Arbitrary<string>, number: fc.Arbitrary<number>): fc.Arbitrary<FilterAst> {
  const key = fc.oneof(
    fc.constantFrom('parcel_id', 'cache', 'vendor_status'),
    fc.stringMatching(/^[A-Za-z0-9_]{1,10}$/),
  );
  const annotation = fc.oneof(
    fc.record({
      kind: fc.constant('annotation' as const),
      key,
      op: fc.constantFrom(...STRING_OPS),
      value: text as fc.Arbitrary<AnnotationValue>,
    }),
    fc.record({
      kind: fc.constant('annotation' as const),
      key,
      op: fc.constantFrom(...NUMBER_OPS),
      value: number as fc.Arbitrary<AnnotationValue>,
    }),
    fc.record({
      kind: fc.constant('annotation' as const),
      key,
      op: fc.constantFrom('=' as const, '!=' as const),
      value: fc.boolean() as fc.Arbitrary<AnnotationValue>,
    }),
    fc.record({ kind: fc.constant('annotationPresent' as const), key }),
  );
  const nodeLeaf = leafArbitrary(text, number, false);
  const rootCauseLeaf = leafArbitrary(text, number, true);
  const selector: fc.Arbitrary<NodeSelector> = fc.oneof(
    fc.record({ name: text, type: fc.constant(null) }),
    fc.record({
      name: fc.option(text, { nil: null }),
      type: fc.oneof(fc.constantFrom('remote', 'AWS::ECS::Container'), text),
    }),
  );
  const compound = (tie: () => fc.Arbitrary<FilterAst>): fc.Arbitrary<FilterAst> =>
    fc.oneof(
      fc.record({ kind: fc.constant('not' as const), operand: tie() }),
      fc.record({
        kind: fc.constantFrom('and' as const, 'or' as const),
        operands: fc.array(tie(), { minLength: 2, maxLength: 3 }),
      }),
    );
  const inner = fc.letrec<{ node: FilterAst }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      nodeLeaf,
      compound(() => tie('node')),
    ),
  })).node;
  const service = fc.record({
    kind: fc.constant('service' as const),
    node: fc.oneof(fc.constant({ name: null, type: null }), selector),
    filter: fc.option(inner, { nil: null }),
  });
  const edge = fc.record({
    kind: fc.constant('edge' as const),
    from: selector,
    to: selector,
    filter: fc.option(inner, { nil: null }),
  });
  const rootCauseInner = fc.letrec<{ node: FilterAst }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      rootCauseLeaf,
      compound(() => tie('node')),
    ),
  })).node;
  const rootCause = fc.record({
    kind: fc.constant('rootcause' as const),
    cause: fc.constantFrom(...ROOT_CAUSE_KINDS),
    target: fc.constantFrom(...ROOT_CAUSE_TARGETS),
    filter: fc.option(rootCauseInner, { nil: null }),
  });
  const traceLeaf: fc.Arbitrary<FilterAst> = fc.oneof(nodeLeaf, annotation, service, edge, rootCause);
  return fc
    .letrec<{ trace: FilterAst }>((tie) => ({
      trace: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        traceLeaf,
        compound(() => tie('trace')),
      ),
    }))
    .trace.map(normalize)
    .filter((ast) => formatFilter(ast).length <= MAX_FILTER_LENGTH);
}

const anyNumber = fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (n === 0 ? 0 : n));
const anyTree = treeArbitrary(fc.string({ unit: 'binary', maxLength: 12 }), anyNumber);

// Values the parcel traces actually carry, so evaluation properties exercise both outcomes.
const relevantText = fc.oneof(
  fc.constantFrom(
    'parcel-api',
    'parcel-api/local',
    'warehouse-query',
    'DynamoDB',
    'vendor.localhost',
    'parcel-fanout',
  ),
  fc.constantFrom(
    'miss',
    'hit',
    'stale',
    'RR123456785GB',
    'UNKNOWN',
    'alice',
    'GET',
    '/parcels/',
    'https://',
    '',
  ),
  fc.string({ maxLength: 4 }),
);
const relevantNumber = fc.oneof(
  fc.constantFrom(0, 0.05, 0.3, 0.37, 1, 200, 404, 500, 504),
  fc.double({ min: -1, max: 600, noNaN: true }).map((n) => (n === 0 ? 0 : n)),
);
const relevantTree = treeArbitrary(relevantText, relevantNumber);

const traceArbitrary: fc.Arbitrary<TraceView> = fc
  .record({
    cache: fc.constantFrom('hit' as const, 'miss' as const, 'stale' as const),
    vendor: fc.constantFrom('ok' as const, 'timeout' as const, 'not_found' as const),
    apiFault: fc.boolean(),
    notFound: fc.boolean(),
    dynamoThrottle: fc.boolean(),
    inProgress: fc.boolean(),
    streamSubsegments: fc.boolean(),
    apiExtra: fc.double({ min: 0, max: 3, noNaN: true }),
    user: fc.option(fc.constantFrom('alice', 'bob'), { nil: undefined }),
  })
  .map((options) => buildTraceModel('p', parcelTraceDocuments(options)));

const SYNTAX_ALPHABET = [
  ...'(){}!=<>,:"\\ .-0123456789eE',
  'AND ',
  'OR ',
  'NOT ',
  'ok',
  'fault',
  'service',
  'edge',
  'id',
  'name',
  'type',
  'annotation.',
  'http.url',
  'responsetime',
  'CONTAINS',
  'true',
  'false',
  '"x"',
  '\\u00',
];
const syntaxSoup = fc
  .array(fc.constantFrom(...SYNTAX_ALPHABET), { maxLength: 40 })
  .map((parts) => parts.join(''));

function parsesOrFailsCleanly(text: string): void {
  let ast: FilterAst | undefined;
  try {
    ast = parseFilter(text);
  } catch (error) {
    if (!(error instanceof FilterSyntaxError)) throw error;
    expect(error.position).toBeGreaterThanOrEqual(0);
    expect(error.position).toBeLessThanOrEqual(text.length);
    expect(error.message.length).toBeGreaterThan(0);
    return;
  }
  // What parses also prints, re-parses to the same tree, and evaluates without throwing.
  expect(parseFilter(formatFilter(ast))).toStrictEqual(ast);
  compileFilter(ast)(SAMPLE);
}

const SAMPLE = buildTraceModel('s', parcelTraceDocuments({ cache: 'miss', vendor: 'timeout' }));

describe('filter properties', () => {
  it('arbitrary text parses or throws FilterSyntaxError, never anything else', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), parsesOrFailsCleanly), {
      numRuns: 2000,
    });
  });

  it('near-miss syntax parses or throws FilterSyntaxError with a position inside the text', () => {
    fc.assert(fc.property(syntaxSoup, parsesOrFailsCleanly), { numRuns: 3000 });
  });

  it('hostile sizes fail fast: long and deeply nested input', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('(', '!', 'NOT ', 'service("a") {', '"'),
        fc.integer({ min: 1, max: 5000 }),
        (unit, count) => {
          const started = performance.now();
          parsesOrFailsCleanly(unit.repeat(count));
          expect(performance.now() - started).toBeLessThan(1000); // a hang guard, not a benchmark
        },
      ),
      { numRuns: 200 },
    );
  });

  it('formatFilter output parses back to the same tree', () => {
    fc.assert(
      fc.property(anyTree, (ast) => {
        // toEqual: fast-check may build records with a null prototype, which the parser never does.
        expect(parseFilter(formatFilter(ast))).toEqual(ast);
      }),
      { numRuns: 1000 },
    );
  });

  it('NOT NOT e ≡ e on any trace', () => {
    fc.assert(
      fc.property(relevantTree, traceArbitrary, (ast, trace) => {
        const expected = compileFilter(ast)(trace);
        expect(compileFilter({ kind: 'not', operand: { kind: 'not', operand: ast } })(trace)).toBe(expected);
        expect(compileFilter(`NOT !(${formatFilter(ast)})`)(trace)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('a AND b ≡ b AND a, a OR b ≡ b OR a, and a OR b ≡ !(!a AND !b) on any trace', () => {
    fc.assert(
      fc.property(relevantTree, relevantTree, traceArbitrary, (a, b, trace) => {
        const [fa, fb] = [formatFilter(a), formatFilter(b)];
        expect(compileFilter(`(${fa}) AND (${fb})`)(trace)).toBe(compileFilter(`(${fb}) AND (${fa})`)(trace));
        const or = compileFilter(`(${fa}) OR (${fb})`)(trace);
        expect(or).toBe(compileFilter(`(${fb}) OR (${fa})`)(trace));
        expect(or).toBe(compileFilter(`!(!(${fa}) AND !(${fb}))`)(trace));
      }),
      { numRuns: 500 },
    );
  });

  it('the aggregate shortcut for { fault } / { error } / { throttle } agrees with the per-segment scan', () => {
    const node = fc.oneof(
      fc.constant(''),
      fc
        .constantFrom('parcel-api', 'warehouse-query', 'DynamoDB', 'vendor.localhost', 'parcel-api/local')
        .map((n) => `"${n}"`),
      fc.constantFrom('id(type: "remote")', 'id(type: "AWS::ECS::Container")'),
    );
    fc.assert(
      fc.property(
        node,
        node,
        fc.constantFrom('fault', 'error', 'throttle'),
        traceArbitrary,
        (a, b, flag, trace) => {
          // `{ f OR f }` is the same test but does not take the shortcut.
          expect(compileFilter(`service(${a}) { ${flag} }`)(trace)).toBe(
            compileFilter(`service(${a}) { ${flag} OR ${flag} }`)(trace),
          );
          if (a !== '' && b !== '') {
            expect(compileFilter(`edge(${a}, ${b}) { ${flag} }`)(trace)).toBe(
              compileFilter(`edge(${a}, ${b}) { ${flag} OR ${flag} }`)(trace),
            );
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("a store's compact view answers every filter as the trace's model does", () => {
    // One compactor across runs, as a store has: later traces share the shapes of earlier ones.
    const compactor = new TraceViewCompactor();
    fc.assert(
      fc.property(relevantTree, traceArbitrary, (ast, model) => {
        const matches = compileFilter(ast);
        expect(matches(compactor.compact(model))).toBe(matches(model));
      }),
      { numRuns: 1000 },
    );
  });

  it('evaluation over random traces covers both outcomes (the properties above are not vacuous)', () => {
    const outcomes = new Set<boolean>();
    fc.assert(
      fc.property(relevantTree, traceArbitrary, (ast, trace) => {
        outcomes.add(compileFilter(ast)(trace));
      }),
      { numRuns: 300 },
    );
    expect([...outcomes].sort()).toEqual([false, true]);
  });
});
