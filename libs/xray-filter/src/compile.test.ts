import { buildTraceModel } from '@parcel/trace-model';
import { parcelTraceDocuments } from '@parcel/trace-model/testing';
import { describe, expect, it } from 'vitest';
import { compileFilter } from './compile';
import { FilterSyntaxError } from './errors';
import { parseFilter } from './parser';

// Seven requests through the real path's shape; each differs from `hit` in one way.
const traces = {
  hit: buildTraceModel('hit', parcelTraceDocuments()),
  vendorTimeout: buildTraceModel('vendorTimeout', parcelTraceDocuments({ cache: 'miss', vendor: 'timeout' })),
  apiFault: buildTraceModel('apiFault', parcelTraceDocuments({ cache: 'miss', apiFault: true })),
  throttled: buildTraceModel('throttled', parcelTraceDocuments({ dynamoThrottle: true })),
  notFound: buildTraceModel('notFound', parcelTraceDocuments({ notFound: true, parcelId: 'RR000000000GB' })),
  slow: buildTraceModel('slow', parcelTraceDocuments({ apiExtra: 1.5, user: 'alice' })),
  partial: buildTraceModel('partial', parcelTraceDocuments({ cache: 'stale', inProgress: true })),
};
type Name = keyof typeof traces;
const ALL = Object.keys(traces) as Name[];

const cases: [string, Name[]][] = [
  ['ok', ['hit', 'vendorTimeout', 'throttled', 'slow', 'partial']],
  ['!ok', ['apiFault', 'notFound']],
  ['ok = false', ['apiFault', 'notFound']],
  ['error', ['notFound']],
  ['fault', ['apiFault']],
  ['fault != false', ['apiFault']],
  // Handled downstream problems are not trace-level status…
  ['throttle', []],
  // …but service()/edge() find them.
  ['service("DynamoDB") { throttle }', ['throttled']],
  ['service() { fault }', ['vendorTimeout', 'apiFault']],
  ['service() { throttle }', ['throttled']],
  ['service("warehouse-query") { fault }', ['vendorTimeout']],
  ['service("warehouse-query") { partial }', ['partial']],
  ['service("parcel-api") { fault }', ['apiFault']],
  ['service("parcel-api")', ALL],
  ['service("parcel-fanout")', ['vendorTimeout', 'apiFault', 'partial']],
  ['!service("parcel-fanout")', ['hit', 'throttled', 'notFound', 'slow']],
  ['service(id(type: "AWS::StepFunctions::StateMachine"))', ['vendorTimeout', 'apiFault', 'partial']],
  ['service(id(name: "parcel-fanout", type: "AWS::ECS::Container"))', []],
  ['service(id(name: "DynamoDB", type: "AWS::DynamoDB::Table")) { inferred AND responsetime < 0.05 }', ALL],
  ['service("parcel-api/local") { root AND fault }', ['apiFault']],
  ['service("parcel-api/local") { !root AND fault }', ['vendorTimeout']],
  ['service("parcel-api") { root }', []],
  [
    'service("warehouse-query") { http.url CONTAINS "/internal/vendor/" }',
    ['vendorTimeout', 'apiFault', 'partial'],
  ],
  ['service() { name = "vendor.localhost" AND type = "remote" }', ['vendorTimeout', 'apiFault', 'partial']],
  ['service("parcel-api") { user = "alice" }', ['slow']],
  ['service("parcel-api") { responsetime > 1 }', ['slow']],
  ['service("parcel-api") { duration > 1 }', ['slow']],
  ['service("parcel-api") { http.status = 500 }', ['apiFault']],
  ['edge("parcel-api", "DynamoDB")', ALL],
  ['edge("parcel-api", "DynamoDB") { error }', ['throttled']],
  ['edge("parcel-api", "parcel-fanout")', ['vendorTimeout', 'apiFault', 'partial']],
  ['edge("DynamoDB", "parcel-api")', []],
  ['edge("warehouse-query", "vendor.localhost") { fault }', ['vendorTimeout']],
  ['edge("parcel-fanout", "parcel-api/local") { http.status = 504 }', ['vendorTimeout']],
  [
    'edge("parcel-fanout", "parcel-api/local") { responsetime > 0.2 }',
    ['vendorTimeout', 'apiFault', 'partial'],
  ],
  [
    'edge(id(type: "AWS::ApiGateway::Stage"), "parcel-api") { ok }',
    ['hit', 'vendorTimeout', 'throttled', 'slow', 'partial'],
  ],
  ['inferred', ALL],
  ['root', ALL],
  ['partial', ['partial']],
  ['ok !partial duration < 3', ['hit', 'vendorTimeout', 'throttled', 'slow']],
  ['responsetime > 1', ['slow']],
  ['responsetime > 1 AND user = "alice"', ['slow']],
  ['duration >= 0.3 AND duration <= 0.5', ['vendorTimeout', 'apiFault', 'partial']],
  ['user CONTAINS ""', ['slow']],
  ['user != "bob"', ['slow']],
  ['user = "bob"', []],
  ['http.status = 404', ['notFound']],
  ['http.status >= 500', ['apiFault']],
  ['http.status < 300', ['hit', 'vendorTimeout', 'throttled', 'slow', 'partial']],
  ['http.url CONTAINS "parcels"', ALL],
  [
    'http.url BEGINSWITH "https://127.0.0.1:3000/parcels/" AND http.url ENDSWITH "RR123456785GB"',
    ALL.filter((n) => n !== 'notFound'),
  ],
  // The root's URL only: the internal calls' URLs are downstream.
  ['http.url CONTAINS "internal"', []],
  ['http.url != "https://127.0.0.1:3000/parcels/RR000000000GB"', ALL.filter((n) => n !== 'notFound')],
  ['http.url AND responseTime > 1', ['slow']],
  ['http.method = "GET" AND http.useragent BEGINSWITH "curl/" AND http.clientip = "127.0.0.1"', ALL],
  ['http.method = "get"', []],
  ['name = "parcel-api/local" AND type = "AWS::ApiGateway::Stage"', ALL],
  ['annotation.parcel_id = "RR123456785GB"', ALL.filter((n) => n !== 'notFound')],
  ['annotation.parcel_id', ALL],
  ['annotation.cache = "miss"', ['vendorTimeout', 'apiFault']],
  ['annotation.cache != "hit"', ['vendorTimeout', 'apiFault', 'partial']],
  ['annotation.cache BEGINSWITH "st"', ['partial']],
  ['annotation.vendor_status', ['vendorTimeout', 'apiFault', 'partial']],
  ['!annotation.vendor_status', ['hit', 'throttled', 'notFound', 'slow']],
  ['annotation.vendor_status = "UNKNOWN"', ['vendorTimeout']],
  ['annotation.vendor_status != "UNKNOWN"', ['apiFault', 'partial']],
  ['annotation.nope != "x"', []],
  ['annotation.constructor OR annotation.toString = "x" OR annotation.__proto__', []],
  ['annotation.cache > 3', []],
  [
    'service("warehouse-query") { fault = true or responseTime > 2.5 } and annotation.parcel_id = "RR123456785GB"',
    ['vendorTimeout'],
  ],
  ['(fault OR error) AND NOT service("parcel-fanout")', ['notFound']],
  // One service type per node: the graph's type for the state machine is the filter's.
  [
    'service(id(name: "parcel-fanout", type: "AWS::StepFunctions::StateMachine"))',
    ['vendorTimeout', 'apiFault', 'partial'],
  ],
  // X-Ray developer guide, "Using filter expressions": rootcause.fault|error|responsetime.service|entity|exception.
  ['rootcause.fault.service { name = "vendor.localhost" }', ['vendorTimeout']],
  ['rootcause.fault.service { last AND inferred AND type = "remote" }', ['vendorTimeout']],
  ['rootcause.fault.entity { remote AND last AND name = "vendor.localhost" }', ['vendorTimeout']],
  ['rootcause.fault.exception { message CONTAINS "timeout" }', ['vendorTimeout']],
  [
    'rootcause.fault.service { first AND index = 0 AND name = "parcel-api/local" }',
    ['vendorTimeout', 'apiFault'],
  ],
  ['rootcause.fault.service', ['vendorTimeout', 'apiFault']],
  ['fault AND rootcause.fault.service { last AND name = "parcel-api" }', ['apiFault']],
  ['rootcause.error.service { last AND name = "parcel-api" }', ['notFound']],
  ['rootcause.responsetime.service { last AND name = "parcel-api" }', ['slow']],
  ['rootcause.responsetime.entity { last AND coverage > 0.9 }', ['vendorTimeout', 'slow']],
  ['fault OR error AND http.status = 404', ['apiFault', 'notFound']],
];

describe('compileFilter over parcel traces', () => {
  it.each(cases)('%s', (expression, expected) => {
    const matches = compileFilter(expression);
    expect(ALL.filter((name) => matches(traces[name]))).toEqual(expected);
  });

  it('takes a parsed tree as well as text', () => {
    const matches = compileFilter(parseFilter('service() { fault }'));
    expect(ALL.filter((name) => matches(traces[name]))).toEqual(['vendorTimeout', 'apiFault']);
  });

  it('throws FilterSyntaxError for bad text', () => {
    expect(() => compileFilter('service(')).toThrow(FilterSyntaxError);
    for (const bad of [
      'first',
      'coverage > 1',
      'service() { message = "x" }',
      'rootcause.fault.bogus',
      'rootcause.fault',
      'rootcause.fault.service { http.url = "x" }',
      'rootcause.fault.service { rootcause.error.service }',
      'service() { rootcause.fault.service }',
    ])
      expect(() => compileFilter(bad), bad).toThrow(FilterSyntaxError);
  });
});

describe('annotation types', () => {
  const trace = buildTraceModel('typed', [
    {
      id: '0000000000000001',
      trace_id: 'typed',
      name: 'svc',
      start_time: 10,
      end_time: 11,
      annotations: { age: 30, retried: true, label: '30' },
      subsegments: [
        { id: '0000000000000002', name: 'inner', start_time: 10, end_time: 10.5, annotations: { age: 12 } },
      ],
    },
  ]);
  const table: [string, boolean][] = [
    ['annotation.age > 29', true],
    ['annotation.age < 13', true],
    ['annotation.age = 30', true],
    ['annotation.age = "30"', false],
    ['annotation.label = "30"', true],
    ['annotation.label > 29', false],
    ['annotation.label CONTAINS "3"', true],
    ['annotation.age CONTAINS "3"', false],
    ['annotation.retried = true', true],
    ['annotation.retried = false', false],
    ['annotation.retried != false', true],
    ['annotation.age != 30', false],
    ['annotation.age != 31', true],
  ];
  it.each(table)('%s → %s', (expression, expected) => {
    expect(compileFilter(expression)(trace)).toBe(expected);
  });
});

// X-Ray developer guide, "Using filter expressions": `group.name = "…"` / `group.arn = "…"` stand for
// that group's filter expression.
describe('group.name and group.arn', () => {
  const groups = (by: 'name' | 'arn', value: string): string | undefined => {
    const byName: Record<string, string> = {
      faults: 'fault',
      vendor: 'rootcause.fault.service { name = "vendor.localhost" }',
      loop: 'group.name = "loop"',
    };
    if (by === 'arn') return value === 'arn:aws:xray:us-east-1:0:group/faults/X' ? byName.faults : undefined;
    return Object.hasOwn(byName, value) ? byName[value] : undefined;
  };
  const run = (text: string) => {
    const matches = compileFilter(text, { groups });
    return ALL.filter((name) => matches(traces[name]));
  };
  it('reads the group’s expression, by name or ARN, combined with the rest', () => {
    expect(run('group.name = "faults"')).toEqual(['apiFault']);
    expect(run('group.arn = "arn:aws:xray:us-east-1:0:group/faults/X"')).toEqual(['apiFault']);
    expect(run('group.name = "vendor" OR error')).toEqual(['vendorTimeout', 'notFound']);
    expect(parseFilter('group.name = "a b"')).toEqual({ kind: 'group', by: 'name', value: 'a b' });
  });
  it('an unknown group, a group naming itself, or a group inside { } is a FilterSyntaxError', () => {
    for (const bad of [
      'group.name = "nope"',
      'group.name = "loop"',
      'group.name != "faults"',
      'group.name',
      'service() { group.name = "faults" }',
    ])
      expect(() => compileFilter(bad, { groups }), bad).toThrow(FilterSyntaxError);
    expect(() => compileFilter('group.name = "faults"')).toThrow(FilterSyntaxError);
  });
});
