import { describe, expect, it } from 'vitest';
import type { FilterAst } from './ast';
import { FilterSyntaxError } from './errors';
import { formatFilter } from './format';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseFilter } from './parser';

describe('parseFilter: the forms in the X-Ray filter guide', () => {
  const cases: [string, FilterAst][] = [
    ['responsetime > 5', { kind: 'number', keyword: 'responsetime', op: '>', value: 5 }],
    ['responseTime > 2.5', { kind: 'number', keyword: 'responsetime', op: '>', value: 2.5 }],
    ['http.status != 200', { kind: 'number', keyword: 'http.status', op: '!=', value: 200 }],
    ['ok', { kind: 'flag', keyword: 'ok', value: true }],
    ['ok = false', { kind: 'flag', keyword: 'ok', value: false }],
    ['ok != false', { kind: 'flag', keyword: 'ok', value: true }],
    ['!ok', { kind: 'not', operand: { kind: 'flag', keyword: 'ok', value: true } }],
    ['NOT fault', { kind: 'not', operand: { kind: 'flag', keyword: 'fault', value: true } }],
    ['user CONTAINS ""', { kind: 'string', keyword: 'user', op: 'CONTAINS', value: '' }],
    [
      'http.url contains "/api/game/"',
      { kind: 'string', keyword: 'http.url', op: 'CONTAINS', value: '/api/game/' },
    ],
    ['http.url', { kind: 'present', keyword: 'http.url' }],
    ['annotation.gameid = "817DL6VO"', { kind: 'annotation', key: 'gameid', op: '=', value: '817DL6VO' }],
    ['annotation.age > 29', { kind: 'annotation', key: 'age', op: '>', value: 29 }],
    ['annotation.is_retry = false', { kind: 'annotation', key: 'is_retry', op: '=', value: false }],
    ['annotation.Age', { kind: 'annotationPresent', key: 'Age' }],
    [
      'service() { fault }',
      {
        kind: 'service',
        node: { name: null, type: null },
        filter: { kind: 'flag', keyword: 'fault', value: true },
      },
    ],
    [
      'service("api.example.com")',
      { kind: 'service', node: { name: 'api.example.com', type: null }, filter: null },
    ],
    [
      'edge("a", "b") { error }',
      {
        kind: 'edge',
        from: { name: 'a', type: null },
        to: { name: 'b', type: null },
        filter: { kind: 'flag', keyword: 'error', value: true },
      },
    ],
    [
      'service(id(name: "random-name", type: "AWS::Lambda::Function")) { error }',
      {
        kind: 'service',
        node: { name: 'random-name', type: 'AWS::Lambda::Function' },
        filter: { kind: 'flag', keyword: 'error', value: true },
      },
    ],
    [
      'service(id(type:"AWS::Lambda::Function"))',
      { kind: 'service', node: { name: null, type: 'AWS::Lambda::Function' }, filter: null },
    ],
    ['service(id(name: "x"))', { kind: 'service', node: { name: 'x', type: null }, filter: null }],
    [
      'http.url = "a\\"b\\\\c\\u00e9\\n"',
      { kind: 'string', keyword: 'http.url', op: '=', value: 'a"b\\cé\n' },
    ],
    ['duration < .5', { kind: 'number', keyword: 'duration', op: '<', value: 0.5 }],
    ['duration > -0', { kind: 'number', keyword: 'duration', op: '>', value: 0 }],
    ['duration < 1e-3', { kind: 'number', keyword: 'duration', op: '<', value: 0.001 }],
  ];
  it.each(cases)('%s', (text, ast) => {
    expect(parseFilter(text)).toStrictEqual(ast);
  });

  it('juxtaposition is AND, AND binds tighter than OR, chains are flattened', () => {
    expect(formatFilter(parseFilter('ok !partial duration <3'))).toBe('ok AND !partial AND duration < 3');
    expect(parseFilter('ok OR error AND fault')).toStrictEqual({
      kind: 'or',
      operands: [
        { kind: 'flag', keyword: 'ok', value: true },
        {
          kind: 'and',
          operands: [
            { kind: 'flag', keyword: 'error', value: true },
            { kind: 'flag', keyword: 'fault', value: true },
          ],
        },
      ],
    });
    expect(parseFilter('(ok AND error) and (fault)')).toStrictEqual(parseFilter('ok error fault'));
    expect(formatFilter(parseFilter('(ok OR error) AND fault'))).toBe('(ok OR error) AND fault');
    expect(formatFilter(parseFilter('!(ok OR error)'))).toBe('!(ok OR error)');
  });

  it('reads the guide’s compound examples', () => {
    expect(
      formatFilter(
        parseFilter(
          'service("api.example.com") { fault = true OR responsetime > 2.5 } AND annotation.account = "12345"',
        ),
      ),
    ).toBe('service("api.example.com") { fault OR responsetime > 2.5 } AND annotation.account = "12345"');
    expect(
      formatFilter(
        parseFilter(
          'http.url BEGINSWITH "http://api.example.com/" AND http.url CONTAINS "/v2/" AND !service("api.example.com")',
        ),
      ),
    ).toBe(
      'http.url BEGINSWITH "http://api.example.com/" AND http.url CONTAINS "/v2/" AND !service("api.example.com")',
    );
    expect(parseFilter('service("data-plane") {root = true and fault = true}')).toStrictEqual({
      kind: 'service',
      node: { name: 'data-plane', type: null },
      filter: {
        kind: 'and',
        operands: [
          { kind: 'flag', keyword: 'root', value: true },
          { kind: 'flag', keyword: 'fault', value: true },
        ],
      },
    });
  });
});

describe('parseFilter: malformed input', () => {
  const deep = `${'('.repeat(MAX_FILTER_DEPTH + 1)}ok${')'.repeat(MAX_FILTER_DEPTH + 1)}`;
  const cases: [string, number, RegExp][] = [
    ['', 0, /empty/],
    ['   ', 0, /empty/],
    ['responsetime >', 14, /number/],
    ['responsetime', 12, /comparison/],
    ['responsetime CONTAINS "x"', 13, /does not apply/],
    ['http.url > 5', 9, /does not apply/],
    ['http.url = 5', 11, /string/],
    ['duration < "3"', 11, /number/],
    ['duration > 1e999', 11, /out of range/],
    ['foo', 0, /unknown keyword 'foo'/],
    ['ok AND', 6, /end of expression/],
    ['ok OR OR error', 6, /unknown keyword 'OR'/],
    ['(ok', 3, /expected '\)'/],
    ['ok)', 2, /unexpected '\)'/],
    ['ok = 1', 5, /true or false/],
    ['ok > true', 3, /boolean keyword/],
    ['ok @', 3, /unexpected character '@'/],
    ['http.url = "abc', 11, /unterminated/],
    ['http.url = "a\\q"', 13, /unknown escape/],
    ['http.url = "\\u12"', 12, /\\u escape/],
    ['annotation. = 1', 11, /annotation keys/],
    ['annotation.a.b', 11, /annotation keys/],
    ['annotation.k CONTAINS 5', 13, /does not compare numbers/],
    ['annotation.k > "x"', 13, /does not compare strings/],
    ['annotation.k < true', 13, /does not compare true or false/],
    ['annotation.k = bogus', 15, /annotations compare/],
    ['service("a") { annotation.k = 1 }', 15, /annotation/],
    ['service("a") { service("b") }', 15, /nested/],
    ['service("a") {}', 14, /empty/],
    ['service("a") { ok', 17, /expected '\}'/],
    ['service(a)', 8, /service name/],
    ['edge("a") { error }', 8, /expected ','/],
    ['service(id())', 11, /id\(\) takes/],
    ['service(id(name: "a", name: "b"))', 22, /twice/],
    ['service(id(name: 5))', 17, /string/],
    ['5', 0, /unexpected number 5/],
    ['duration > 5s', 12, /after number/],
    ['!', 1, /end of expression/],
    ['NOT', 3, /end of expression/],
    ['ok - error', 3, /unexpected character '-'/],
    [deep, MAX_FILTER_DEPTH, /nesting/],
    [`${'!'.repeat(200)}ok`, MAX_FILTER_DEPTH, /nesting/],
    ['x'.repeat(MAX_FILTER_LENGTH + 1), MAX_FILTER_LENGTH, /longer than/],
  ];
  it.each(cases)('%j fails at %i', (text, position, message) => {
    let thrown: unknown;
    try {
      parseFilter(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FilterSyntaxError);
    expect((thrown as FilterSyntaxError).position).toBe(position);
    expect((thrown as FilterSyntaxError).message).toMatch(message);
  });

  it('accepts the longest and deepest expressions allowed', () => {
    const nested = `${'('.repeat(MAX_FILTER_DEPTH)}ok${')'.repeat(MAX_FILTER_DEPTH)}`;
    expect(parseFilter(nested)).toStrictEqual({ kind: 'flag', keyword: 'ok', value: true });
    const long = Array.from({ length: 666 }, () => 'ok')
      .join(' ')
      .padEnd(MAX_FILTER_LENGTH, ' ');
    const ast = parseFilter(long);
    expect(ast.kind === 'and' && ast.operands.length).toBe(666);
  });
});
