import type { SegmentDoc } from '@parcel/xray-protocol';
import { describe, expect, it } from 'vitest';
import { buildTraceModel } from './build';
import { parcelTraceDocuments } from './testing/parcel-trace';

const T0 = 1_763_750_000;

describe('buildTraceModel', () => {
  it('roots the trace at the gateway and times it as X-Ray does', () => {
    const docs = parcelTraceDocuments({ cache: 'miss', start: T0 });
    const view = buildTraceModel('t1', docs);
    const gateway = docs[0] as SegmentDoc;
    expect(view.id).toBe('t1');
    expect(view.rootSegment?.doc).toBe(gateway);
    expect(view.responseTime).toBeCloseTo((gateway.end_time as number) - T0, 9);
    const latestEnd = Math.max(...docs.map((d) => d.end_time ?? 0));
    expect(view.duration).toBeCloseTo(latestEnd - T0, 9);
    // A downstream segment that outlives the response stretches duration, not responsetime.
    const late = { ...(docs[docs.length - 1] as SegmentDoc), end_time: (gateway.end_time as number) + 2 };
    const stretched = buildTraceModel('t1', [...docs.slice(0, -1), late]);
    expect(stretched.responseTime).toBe(view.responseTime);
    expect(stretched.duration).toBeCloseTo((gateway.end_time as number) + 2 - T0, 9);
    expect(view.startTime).toBe(T0);
    expect(view.http).toEqual({
      url: 'https://127.0.0.1:3000/parcels/RR123456785GB',
      method: 'GET',
      status: 200,
      userAgent: 'curl/8.5.0',
      clientIp: '127.0.0.1',
    });
    expect(view.segments).toHaveLength(docs.length);
  });

  it('builds the service graph: segment services, inferred AWS and remote nodes, caller → callee edges', () => {
    const view = buildTraceModel('t', parcelTraceDocuments({ cache: 'miss', vendor: 'timeout' }));
    const nodes = view.services.map((s) => [s.name, s.type, s.inferred, s.root, s.facts.length, s.hasFault]);
    expect(nodes).toEqual([
      ['parcel-api/local', 'AWS::ApiGateway::Stage', false, true, 3, true],
      ['parcel-api', 'AWS::ECS::Container', false, false, 1, false],
      ['DynamoDB', 'AWS::DynamoDB::Table', true, false, 2, false],
      ['parcel-fanout', 'AWS::StepFunctions::StateMachine', false, false, 1, false],
      ['warehouse-query', 'AWS::ECS::Container', false, false, 2, true],
      // One type per node for every reader: a SQL call's node is typed by its database_type.
      ['parcels@127.0.0.1', 'PostgreSQL', true, false, 1, false],
      ['vendor.localhost', 'remote', true, false, 1, true],
    ]);
    // SFN has its own segment (the state machine), so it is an edge, not an inferred node.
    expect(view.services.some((s) => s.name === 'SFN')).toBe(false);
    const edges = view.edges.map((e) => `${e.from.name} -> ${e.to.name} x${e.calls.length}`);
    expect(edges).toEqual([
      'client -> parcel-api/local x1',
      'parcel-api/local -> parcel-api x1',
      'parcel-api -> DynamoDB x1',
      'parcel-api -> parcel-fanout x1',
      'parcel-fanout -> parcel-api/local x2',
      'parcel-api/local -> warehouse-query x2',
      'warehouse-query -> parcels@127.0.0.1 x1',
      'warehouse-query -> vendor.localhost x1',
      'parcel-fanout -> DynamoDB x1',
    ]);
    const vendorCall = view.edges.find((e) => e.to.name === 'vendor.localhost')?.calls[0];
    expect(vendorCall?.fault).toBe(true);
    expect(vendorCall?.responseTime).toBeCloseTo(0.4, 5);
    // A call to a service with its own segment is timed by the caller's subsegment.
    const sfnCall = view.edges.find((e) => e.to.name === 'parcel-fanout')?.calls[0];
    expect(sfnCall?.responseTime).toBeCloseTo(0.35, 5);
  });

  it('trace status is the root segment’s; downstream faults stay on their nodes', () => {
    const handled = buildTraceModel('t', parcelTraceDocuments({ cache: 'miss', vendor: 'timeout' }));
    expect([handled.hasFault, handled.hasError, handled.hasThrottle]).toEqual([false, false, false]);
    const failed = buildTraceModel('t', parcelTraceDocuments({ apiFault: true }));
    expect(failed.hasFault).toBe(true);
    const missing = buildTraceModel('t', parcelTraceDocuments({ notFound: true }));
    expect([missing.hasFault, missing.hasError]).toEqual([false, true]);
  });

  it('folds subsegments sent on their own into the same graph and annotations', () => {
    const embedded = buildTraceModel('t', parcelTraceDocuments({ dynamoThrottle: true }));
    const streamed = buildTraceModel(
      't',
      parcelTraceDocuments({ dynamoThrottle: true, streamSubsegments: true }),
    );
    expect(streamed.services).toEqual(embedded.services);
    expect(streamed.edges).toEqual(embedded.edges);
    expect(streamed.segments.some((s) => s.kind === 'subsegment')).toBe(false);
  });

  it('keeps the completed copy of a segment sent in progress first, in either order', () => {
    const base = parcelTraceDocuments({ cache: 'miss' });
    const last = base[base.length - 1] as SegmentDoc;
    const { end_time: _end, ...rest } = last;
    const open: SegmentDoc = { ...rest, in_progress: true };
    expect(buildTraceModel('t', [...base.slice(0, -1), open]).isPartial).toBe(true);
    expect(buildTraceModel('t', [...base.slice(0, -1), open, last]).isPartial).toBe(false);
    expect(buildTraceModel('t', [...base.slice(0, -1), last, open]).isPartial).toBe(false);
  });

  it('collects annotations from segments and subsegments, without prototype keys, and distinct users', () => {
    const view = buildTraceModel('t', [
      {
        id: 'a000000000000001',
        trace_id: 't',
        name: 'svc',
        user: 'alice',
        start_time: 1,
        end_time: 2,
        annotations: { k: 'x' },
        subsegments: [
          {
            id: 'a000000000000002',
            name: 'sub',
            start_time: 1,
            end_time: 1.5,
            annotations: { k: 'y', n: 1 },
          },
        ],
      },
      {
        id: 'a000000000000003',
        trace_id: 't',
        parent_id: 'a000000000000002',
        name: 'svc2',
        user: 'alice',
        start_time: 1.1,
        end_time: 1.4,
      },
    ]);
    expect({ ...view.annotationValues }).toEqual({ k: ['x', 'y'], n: [1] });
    expect(Object.getPrototypeOf(view.annotationValues)).toBeNull();
    expect([...view.users.keys()]).toEqual(['alice']);
    // sub (no namespace) is a local subsegment: its child segment gives an edge svc → svc2, no inferred node.
    expect(view.edges.map((e) => `${e.from.name}->${e.to.name}`)).toEqual(['client->svc', 'svc->svc2']);
    expect(view.services.map((s) => s.name)).toEqual(['svc', 'svc2']);
  });

  it('treats a segment whose parent is outside the trace as a root, and survives empty or odd input', () => {
    const orphan = buildTraceModel('t', [
      {
        id: 'b000000000000001',
        trace_id: 't',
        parent_id: 'ffffffffffffffff',
        name: 'late',
        start_time: 5,
        end_time: 6,
      },
      {
        id: 'b000000000000002',
        trace_id: 't',
        parent_id: 'eeeeeeeeeeeeeeee',
        name: 'early',
        start_time: 4,
        in_progress: true,
      },
    ]);
    expect(orphan.rootSegment?.name).toBe('early');
    expect(orphan.responseTime).toBe(0);
    expect(orphan.isPartial).toBe(true);
    expect(orphan.duration).toBe(2);

    const empty = buildTraceModel('t', []);
    expect(empty.rootSegment).toBeUndefined();
    expect(empty.duration).toBe(0);
    expect(empty.services).toEqual([]);

    const cyclic = buildTraceModel('t', [
      {
        id: 'c000000000000001',
        trace_id: 't',
        type: 'subsegment',
        parent_id: 'c000000000000002',
        name: 'x',
        start_time: 1,
        end_time: 2,
      },
      {
        id: 'c000000000000002',
        trace_id: 't',
        type: 'subsegment',
        parent_id: 'c000000000000001',
        name: 'y',
        start_time: 1,
        end_time: 2,
      },
    ]);
    expect(cyclic.rootSegment).toBeUndefined();
    expect(cyclic.duration).toBe(1);
  });
});

describe('assembly of separately sent subsegments', () => {
  const trace = '1-6920b000-a1b2c3d4e5f60718293a4b5c';
  const seg = (over: Partial<SegmentDoc> = {}): SegmentDoc => ({
    name: 'svc',
    id: 'a000000000000001',
    trace_id: trace,
    start_time: 100,
    end_time: 101,
    ...over,
  });
  const sent = (id: string, parent: string, over: Partial<SegmentDoc> = {}): SegmentDoc =>
    seg({ id, type: 'subsegment', parent_id: parent, name: 'sub', ...over });

  it('nests them at any depth, in any arrival order', () => {
    const root = seg();
    const child = sent('a000000000000002', root.id, { name: 'outer' });
    const grandchild = sent('a000000000000003', child.id, { name: 'inner' });
    const model = buildTraceModel(trace, [grandchild, root, child]);
    expect(model.entities.map((e) => `${e.depth}:${e.name}`)).toEqual(['0:svc', '1:outer', '2:inner']);
    expect(model.isPartial).toBe(false);
  });

  it('replaces an inline in-progress subsegment by its closed, separately sent version', () => {
    const subId = 'b000000000000001';
    const root = seg({ subsegments: [{ id: subId, name: 'call', start_time: 100, in_progress: true }] });
    const closed = sent(subId, root.id, { name: 'call', end_time: 100.5 });
    const model = buildTraceModel(trace, [root, closed]);
    expect(model.entities).toHaveLength(2);
    expect(model.entities[1]).toMatchObject({ id: subId, end: 100.5, inProgress: false });
    expect(model.isPartial).toBe(false);
  });

  it('a subsegment whose parent never arrived makes the trace partial', () => {
    const model = buildTraceModel(trace, [seg(), sent('c000000000000001', 'ffffffffffffffff')]);
    expect(model.isPartial).toBe(true);
  });
});
