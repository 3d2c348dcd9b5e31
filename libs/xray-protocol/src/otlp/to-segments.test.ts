import { describe, expect, it } from 'vitest';
import { convertOtlpRequest } from './receiver';
import type { SegmentRules } from './to-segments';

/**
 * The rules of the collector's awsxray exporter (opentelemetry-collector-contrib
 * exporter/awsxrayexporter/internal/translator: segment.go, http.go, cause.go, aws.go, sql.go), checked on
 * hand-made OTLP/JSON, as any client may send it.
 */
const now = Math.floor(Date.now() / 1000);
const traceHex = `${now.toString(16).padStart(8, '0')}5759e988bd862e3fe1be46a9`;
const rules: SegmentRules = { validateTraceIdTime: true };
const str = (key: string, stringValue: string) => ({ key, value: { stringValue } });
const int = (key: string, intValue: number | string) => ({ key, value: { intValue } });
const nanos = (s: number) => String(BigInt(Math.round(s * 1000)) * 1_000_000n);

function request(spans: Record<string, unknown>[], resource: Record<string, unknown>[] = []) {
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: {
            attributes: [
              str('service.name', 'parcel-api'),
              str('telemetry.sdk.name', 'opentelemetry'),
              str('telemetry.sdk.language', 'nodejs'),
              str('telemetry.sdk.version', '2.12.1'),
              ...resource,
            ],
          },
          scopeSpans: [{ scope: { name: 'test' }, spans }],
        },
      ],
    }),
  );
}
const span = (over: Record<string, unknown>) => ({
  traceId: traceHex,
  spanId: '53995c3f42cd8ad8',
  name: 'GET /parcels/:id',
  kind: 2,
  startTimeUnixNano: nanos(now),
  endTimeUnixNano: nanos(now + 0.25),
  attributes: [],
  ...over,
});
function convert(spans: Record<string, unknown>[], resource?: Record<string, unknown>[]) {
  const result = convertOtlpRequest(request(spans, resource), { contentType: 'application/json' }, rules);
  expect(result.outcome.status).toBe(200);
  return result.documents;
}

describe('span → segment (awsxray exporter rules)', () => {
  it('a SERVER span is a segment named after the service, with http, the X-Ray trace id, and resource metadata', () => {
    const [doc] = convert([
      span({
        attributes: [
          str('http.request.method', 'GET'),
          str('url.full', 'http://api.example/parcels/PX-1'),
          int('http.response.status_code', 200),
          str('user_agent.original', 'curl/8'),
          str('client.address', '203.0.113.9'),
          str('http.route', '/parcels/:id'),
        ],
      }),
    ]);
    expect(doc).toMatchObject({
      id: '53995c3f42cd8ad8',
      name: 'parcel-api',
      trace_id: `1-${traceHex.slice(0, 8)}-${traceHex.slice(8)}`,
      start_time: now,
      end_time: now + 0.25,
      http: {
        request: {
          method: 'GET',
          url: 'http://api.example/parcels/PX-1',
          user_agent: 'curl/8',
          client_ip: '203.0.113.9',
          x_forwarded_for: true,
        },
        response: { status: 200 },
      },
      fault: false,
      error: false,
      throttle: false,
      aws: { xray: { sdk: 'opentelemetry for nodejs', sdk_version: '2.12.1', auto_instrumentation: false } },
      metadata: { default: { 'http.route': '/parcels/:id', 'otel.resource.service.name': 'parcel-api' } },
    });
    expect(doc).not.toHaveProperty('type');
    expect(doc).not.toHaveProperty('parent_id');
    expect(doc).not.toHaveProperty('namespace');
  });

  it('a SERVER span with a parent stays a segment, parented to the caller', () => {
    const [doc] = convert([span({ parentSpanId: 'aaaaaaaaaaaaaaaa' })]);
    expect(doc).toMatchObject({ parent_id: 'aaaaaaaaaaaaaaaa' });
    expect(doc).not.toHaveProperty('type');
  });

  it('an AWS SDK CLIENT span is an `aws` subsegment named after the service, with operation and table', () => {
    const [doc] = convert([
      span({
        spanId: '1111111111111111',
        parentSpanId: '53995c3f42cd8ad8',
        kind: 3,
        name: 'DynamoDB.GetItem',
        attributes: [
          str('rpc.system', 'aws-api'),
          str('rpc.service', 'DynamoDB'),
          str('rpc.method', 'GetItem'),
          str('aws.region', 'us-east-1'),
          str('aws.request_id', 'REQ1'),
          {
            key: 'aws.dynamodb.table_names',
            value: { arrayValue: { values: [{ stringValue: 'parcels' }] } },
          },
        ],
      }),
    ]);
    expect(doc).toMatchObject({
      type: 'subsegment',
      parent_id: '53995c3f42cd8ad8',
      name: 'DynamoDB',
      namespace: 'aws',
      aws: { operation: 'GetItem', region: 'us-east-1', request_id: 'REQ1', table_name: 'parcels' },
    });
    expect(doc?.metadata?.default).not.toHaveProperty('rpc.method');
  });

  it('an outbound HTTP CLIENT span is a `remote` subsegment; peer.service names it', () => {
    const [doc] = convert([
      span({
        parentSpanId: '53995c3f42cd8ad8',
        kind: 3,
        name: 'GET',
        attributes: [
          str('peer.service', 'tracking-vendor'),
          str('http.request.method', 'GET'),
          str('server.address', 'vendor.localhost'),
          int('server.port', 8443),
          str('url.scheme', 'https'),
          str('url.path', '/track/PX-1'),
          int('http.response.status_code', 200),
        ],
      }),
    ]);
    expect(doc).toMatchObject({
      type: 'subsegment',
      name: 'tracking-vendor',
      namespace: 'remote',
      http: {
        request: { method: 'GET', url: 'https://vendor.localhost:8443/track/PX-1' },
        response: { status: 200 },
      },
    });
  });

  it('an INTERNAL child span is a subsegment without namespace, named after the span', () => {
    const [doc] = convert([span({ parentSpanId: '53995c3f42cd8ad8', kind: 1, name: 'merge <parcel>!' })]);
    expect(doc).toMatchObject({ type: 'subsegment', name: 'merge parcel' });
    expect(doc).not.toHaveProperty('namespace');
  });

  it('status flags: 4xx error, 429 error + throttle, 5xx fault, ERROR without a code fault with its message', () => {
    const docs = convert([
      span({ spanId: '0000000000000001', attributes: [int('http.response.status_code', 404)] }),
      span({ spanId: '0000000000000002', attributes: [int('http.response.status_code', 429)] }),
      span({ spanId: '0000000000000003', attributes: [int('http.status_code', '503')] }),
      span({ spanId: '0000000000000004', status: { code: 2, message: 'vendor timed out' } }),
      span({
        spanId: '0000000000000005',
        status: { code: 'STATUS_CODE_ERROR' },
        attributes: [int('http.response.status_code', 200)],
      }),
    ]);
    const flags = docs.map(({ error, throttle, fault }) => ({ error, throttle, fault }));
    expect(flags).toEqual([
      { error: true, throttle: false, fault: false },
      { error: true, throttle: true, fault: false },
      { error: false, throttle: false, fault: true },
      { error: false, throttle: false, fault: true },
      { error: false, throttle: false, fault: true },
    ]);
    expect(docs[3]?.cause).toMatchObject({
      exceptions: [{ message: 'vendor timed out', id: expect.stringMatching(/^[0-9a-f]{16}$/) }],
    });
  });

  it('exception events become the cause, with the V8 stack parsed for a Node SDK', () => {
    const [doc] = convert([
      span({
        kind: 3,
        parentSpanId: '53995c3f42cd8ad8',
        status: { code: 2 },
        events: [
          {
            name: 'exception',
            timeUnixNano: nanos(now + 0.2),
            attributes: [
              str('exception.type', 'TimeoutError'),
              str('exception.message', 'vendor did not answer in 400 ms'),
              str(
                'exception.stacktrace',
                'TimeoutError: vendor did not answer\n    at fetchVendor (/app/src/vendor.ts:42:11)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
              ),
            ],
          },
        ],
      }),
    ]);
    expect(doc).toMatchObject({
      fault: true,
      cause: {
        exceptions: [
          {
            type: 'TimeoutError',
            message: 'vendor did not answer in 400 ms',
            remote: true,
            stack: [
              { path: '/app/src/vendor.ts', line: 42, label: 'fetchVendor' },
              { path: 'node', line: 0, label: 'process.processTicksAndRejections' },
            ],
          },
        ],
      },
    });
  });

  it('keys listed in aws.xray.annotations (and indexed attributes) are annotations; the rest metadata', () => {
    const listed = {
      key: 'aws.xray.annotations',
      value: { arrayValue: { values: [{ stringValue: 'parcel_id' }, { stringValue: 'cache' }] } },
    };
    const [doc] = convert([
      span({
        attributes: [
          listed,
          str('parcel_id', 'PX-1'),
          str('cache', 'miss'),
          str('vendor_status', 'ok'),
          { key: 'retry', value: { boolValue: false } },
        ],
      }),
    ]);
    expect(doc?.annotations).toEqual({ parcel_id: 'PX-1', cache: 'miss' });
    expect(doc?.metadata?.default).toMatchObject({ vendor_status: 'ok', retry: false });
    expect(doc?.metadata?.default).not.toHaveProperty('aws.xray.annotations');
    const indexed = convertOtlpRequest(
      request([span({ attributes: [str('vendor.status', 'late')] })]),
      { contentType: 'application/json' },
      { ...rules, indexedAttributes: ['vendor.status'] },
    );
    expect(indexed.documents[0]?.annotations).toEqual({ vendor_status: 'late' });
  });

  it('a SQL database call gets `sql` and is named database@host; stable names read too', () => {
    const docs = convert([
      span({
        spanId: '0000000000000001',
        parentSpanId: '53995c3f42cd8ad8',
        kind: 3,
        name: 'SELECT parcels',
        attributes: [
          str('db.system', 'postgresql'),
          str('db.name', 'warehouse'),
          str('db.user', 'warehouse_query'),
          str('db.connection_string', 'postgresql://proxy.internal:5432'),
          str('db.statement', 'SELECT * FROM parcels WHERE id = $1'),
        ],
      }),
      span({
        spanId: '0000000000000002',
        parentSpanId: '53995c3f42cd8ad8',
        kind: 3,
        name: 'SELECT',
        attributes: [
          str('db.system.name', 'postgresql'),
          str('db.namespace', 'warehouse'),
          str('db.query.text', 'SELECT 1'),
        ],
      }),
    ]);
    expect(docs[0]).toMatchObject({
      name: 'warehouse@proxy.internal',
      namespace: 'remote',
      sql: {
        url: 'SELECT parcels',
        connection_string: 'postgresql://proxy.internal:5432/warehouse',
        database_type: 'postgresql',
        user: 'warehouse_query',
        sanitized_query: 'SELECT * FROM parcels WHERE id = $1',
      },
    });
    expect(docs[1]).toMatchObject({
      name: 'warehouse',
      sql: { connection_string: 'localhost/warehouse', sanitized_query: 'SELECT 1' },
    });
  });

  it('the origin comes from the resource (ECS on Fargate)', () => {
    const [doc] = convert(
      [span({})],
      [str('cloud.provider', 'aws'), str('cloud.platform', 'aws_ecs'), str('aws.ecs.launchtype', 'fargate')],
    );
    expect(doc?.origin).toBe('AWS::ECS::Fargate');
  });

  it('a trace id whose time is not within 28 days is refused and counted, the rest of the request kept', () => {
    const old = `${(now - 29 * 86_400).toString(16)}5759e988bd862e3fe1be46a9`;
    const result = convertOtlpRequest(
      request([span({ traceId: old }), span({ spanId: '2222222222222222' })]),
      { contentType: 'application/json' },
      rules,
    );
    expect(result.outcome).toMatchObject({ status: 200, spans: 2, rejectedSpans: 1, documents: 1 });
    expect(JSON.parse(result.response.toString())).toMatchObject({
      partialSuccess: { rejectedSpans: 1, errorMessage: expect.stringMatching(/28 days/) },
    });
    // The X-Ray OTLP endpoint takes W3C ids: it does not check the time.
    const lenient = convertOtlpRequest(
      request([span({ traceId: old })]),
      { contentType: 'application/json' },
      { validateTraceIdTime: false },
    );
    expect(lenient.outcome.documents).toBe(1);
  });
});
