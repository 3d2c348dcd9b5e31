import { newSegmentId, newTraceId, type SegmentDoc } from '@parcel/xray-protocol';
import { describe, expect, it } from 'vitest';
import { analyzeTrace, assembleSegments } from './trace-analysis';
import { TraceStore } from './trace-store';

const traceId = newTraceId();
const seg = (over: Partial<SegmentDoc> = {}): SegmentDoc => ({
  name: 'svc',
  id: newSegmentId(),
  trace_id: traceId,
  start_time: 100,
  end_time: 101,
  ...over,
});
const sent = (parent: string, over: Partial<SegmentDoc> = {}): SegmentDoc =>
  seg({ type: 'subsegment', parent_id: parent, name: 'sub', ...over });

describe('assembleSegments', () => {
  it('nests streamed subsegments at any depth, in any arrival order, without touching the stored documents', () => {
    const root = seg();
    const child = sent(root.id, { name: 'outer' });
    const grandchild = sent(child.id, { name: 'inner' });
    const stored = [grandchild, child]; // the inner one closes (and is sent) first
    const { segments, orphans } = assembleSegments([root], stored);
    expect(orphans).toBe(0);
    const outer = segments[0]?.subsegments?.[0];
    expect(outer?.name).toBe('outer');
    expect(outer?.subsegments?.[0]?.name).toBe('inner');
    expect(root.subsegments).toBeUndefined();
    expect(child.subsegments).toBeUndefined();
  });

  it('replaces an inline in-progress subsegment by its closed, separately sent version', () => {
    const subId = newSegmentId();
    const root = seg({ subsegments: [{ id: subId, name: 'call', start_time: 100, in_progress: true }] });
    const closed = sent(root.id, { id: subId, name: 'call', end_time: 100.5 });
    const { segments } = assembleSegments([root], [closed]);
    expect(segments[0]?.subsegments).toHaveLength(1);
    expect(segments[0]?.subsegments?.[0]).toMatchObject({ id: subId, end_time: 100.5 });
    expect(analyzeTrace(traceId, [root], [closed]).isPartial).toBe(false);
  });

  it('a subsegment whose parent never arrived makes the trace partial', () => {
    const view = analyzeTrace(traceId, [seg()], [sent(newSegmentId())]);
    expect(view.isPartial).toBe(true);
  });
});

describe('analyzeTrace', () => {
  it('finds the root, the flags anywhere in the tree, throttles as errors', () => {
    const root = seg({ start_time: 100, end_time: 102, origin: 'AWS::ApiGateway::Stage', name: 'stage' });
    const down = seg({
      parent_id: root.id,
      start_time: 100.5,
      end_time: 103,
      subsegments: [
        {
          id: newSegmentId(),
          name: 'DynamoDB',
          namespace: 'aws',
          start_time: 101,
          end_time: 101.1,
          throttle: true,
        },
      ],
    });
    const view = analyzeTrace(traceId, [down, root], []);
    expect(view.root?.id).toBe(root.id);
    expect(view.duration).toBe(3);
    expect(view.responseTime).toBe(2);
    expect(view).toMatchObject({ hasThrottle: true, hasError: false, hasFault: false });
    const dynamo = view.nodes.find((n) => n.name === 'DynamoDB');
    expect(dynamo?.outcomes[0]).toMatchObject({ throttle: true, error: true, ok: false });
  });

  it('names remote nodes by host and databases by their type', () => {
    const root = seg({
      subsegments: [
        {
          id: newSegmentId(),
          name: 'vendor',
          namespace: 'remote',
          start_time: 100,
          end_time: 100.2,
          http: { request: { url: 'https://vendor.localhost:8443/v1/x' } },
        },
        {
          id: newSegmentId(),
          name: 'db@h',
          namespace: 'remote',
          start_time: 100,
          end_time: 100.2,
          sql: { database_type: 'PostgreSQL' },
        },
        { id: newSegmentId(), name: 'local work', start_time: 100, end_time: 100.2 },
      ],
    });
    const view = analyzeTrace(traceId, [root], []);
    expect(view.nodes.map((n) => `${n.name}|${n.type ?? ''}`).sort()).toEqual([
      'db@h|PostgreSQL',
      'svc|',
      'vendor.localhost|remote',
    ]);
  });
});

describe('TraceStore', () => {
  it('evicts the oldest trace past its bound', () => {
    const store = new TraceStore(2);
    const ids = [newTraceId(), newTraceId(), newTraceId()];
    for (const id of ids) store.put(seg({ trace_id: id }));
    expect(store.size).toBe(2);
    expect(store.evictedCount).toBe(1);
    expect(store.view(ids[0] as string)).toBeUndefined();
    expect(store.view(ids[2] as string)?.segments).toHaveLength(1);
  });

  it('re-analyses a trace after each new document', () => {
    const store = new TraceStore(10);
    const root = seg();
    store.put(root);
    expect(store.view(traceId)?.hasFault).toBe(false);
    store.put(sent(root.id, { fault: true }));
    expect(store.view(traceId)?.hasFault).toBe(true);
    expect(store.revision(traceId)).toBe(2);
  });
});
