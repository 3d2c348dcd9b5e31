import { buildTraceModel, type TraceModel } from '@parcel/trace-model';
import { newSegmentId, newTraceId, type SegmentDoc } from '@parcel/xray-protocol';
import { describe, expect, it } from 'vitest';
import { analyze, parseGroupBy, selfTime } from './analyze';
import { formatAnalysis, formatWaterfall } from './format';

/** gateway stage → parcel-api (DynamoDB) → warehouse-query (vendor call sent as its own subsegment). */
function requestTrace(vendorSeconds: number, opts: { fault?: boolean } = {}): TraceModel {
  const id = newTraceId();
  const t0 = 1_764_072_000;
  const stage = newSegmentId();
  const integration = newSegmentId();
  const api = newSegmentId();
  const wq = newSegmentId();
  const vendorEnd = t0 + 0.03 + vendorSeconds;
  const end = vendorEnd + 0.005;
  const segments: SegmentDoc[] = [
    {
      name: 'parcelapi/local',
      id: stage,
      trace_id: id,
      start_time: t0,
      end_time: end + 0.002,
      origin: 'AWS::ApiGateway::Stage',
      subsegments: [{ id: integration, name: 'parcel-api', start_time: t0 + 0.001, end_time: end + 0.001 }],
    },
    {
      name: 'parcel-api',
      id: api,
      trace_id: id,
      parent_id: integration,
      start_time: t0 + 0.002,
      end_time: end,
      fault: opts.fault,
      annotations: { parcel_id: 'RR123456785GB', cache: 'miss' },
      subsegments: [
        {
          id: newSegmentId(),
          name: 'DynamoDB',
          namespace: 'aws',
          start_time: t0 + 0.003,
          end_time: t0 + 0.008,
        },
      ],
    },
    {
      name: 'warehouse-query',
      id: wq,
      trace_id: id,
      parent_id: api,
      start_time: t0 + 0.01,
      end_time: vendorEnd + 0.002,
    },
    {
      type: 'subsegment',
      name: 'vendor.localhost',
      id: newSegmentId(),
      trace_id: id,
      parent_id: wq,
      start_time: t0 + 0.03,
      end_time: vendorEnd,
      namespace: 'remote',
      fault: opts.fault,
    },
  ];
  return buildTraceModel(id, segments);
}

describe('trace analysis', () => {
  it('links segments and separately sent subsegments into one tree', () => {
    const tree = requestTrace(0.1);
    expect(tree.roots).toHaveLength(1);
    expect(tree.entities).toHaveLength(6);
    const vendor = tree.entities.find((n) => n.name === 'vendor.localhost');
    expect(vendor?.segment?.name).toBe('warehouse-query');
    expect(vendor?.depth).toBe(4);
  });

  it('counts overlapping children once in self time', () => {
    const tree = buildTraceModel(newTraceId(), [
      {
        name: 'fanout',
        id: newSegmentId(),
        trace_id: newTraceId(),
        start_time: 0,
        end_time: 10,
        subsegments: [
          { id: newSegmentId(), name: 'a', start_time: 1, end_time: 5 },
          { id: newSegmentId(), name: 'b', start_time: 2, end_time: 6 },
          { id: newSegmentId(), name: 'c', start_time: 8, end_time: 12 },
        ],
      },
    ]);
    expect(selfTime(tree.roots[0] as never)).toBeCloseTo(3);
  });

  it('blames the hop that makes the slow requests slow', () => {
    const traces = [
      ...Array.from({ length: 90 }, () => requestTrace(0.11)),
      ...Array.from({ length: 10 }, () => requestTrace(1.1)),
    ];
    const result = analyze(traces);
    expect(result.traces).toBe(100);
    expect(result.p99).toBeGreaterThan(1.1);
    expect(result.p50).toBeLessThan(0.2);
    const [top] = result.rows;
    expect(top?.key).toBe('warehouse-query › vendor.localhost');
    expect(top?.p99Contribution).toBeGreaterThan(1);
    expect(top?.max).toBeCloseTo(1.1);
    const slowIds = new Set(traces.slice(90).map((t) => t.id));
    for (const id of top?.exampleTraceIds ?? []) expect(slowIds.has(id)).toBe(true);
    expect(formatAnalysis(result)).toContain(
      'Most of the p99 is spent in: warehouse-query › vendor.localhost',
    );
  });

  it('counts faults and groups by service or annotation', () => {
    const traces = [requestTrace(0.1), requestTrace(0.1, { fault: true })];
    const byName = analyze(traces);
    expect(byName.rows.find((r) => r.key === 'warehouse-query › vendor.localhost')).toMatchObject({
      faults: 1,
      errorRate: 0.5,
    });
    const byService = analyze(traces, { by: 'service' });
    expect(byService.rows.map((r) => r.key).sort()).toEqual([
      'parcel-api',
      'parcelapi/local',
      'warehouse-query',
    ]);
    const byAnnotation = analyze(traces, { by: 'annotation', key: 'parcel_id' });
    expect(byAnnotation.rows).toEqual([
      expect.objectContaining({ key: 'parcel_id=RR123456785GB', count: 2, faults: 1 }),
    ]);
  });

  it('prints a waterfall with one line per hop', () => {
    const text = formatWaterfall(requestTrace(0.2, { fault: true }));
    const lines = text.split('\n');
    expect(lines).toHaveLength(7);
    expect(text).toMatch(/vendor\.localhost\s+ *█+ +\d+\.\d ms FAULT/);
  });

  it('groups by own annotation keys only: annotation:constructor groups nothing', () => {
    const traces = [requestTrace(0.1), requestTrace(0.1)];
    expect(analyze(traces, { by: 'annotation', key: 'constructor' }).rows).toEqual([]);
    expect(analyze(traces, { by: 'annotation', key: 'toString' }).rows).toEqual([]);
  });

  it('prints names with control characters escaped, so a trace cannot drive the terminal', () => {
    const trace = requestTrace(0.1);
    const hostile = buildTraceModel(trace.id, [
      { ...(trace.rootSegment?.doc as SegmentDoc), name: 'evil\u001b]0;owned\u0007\r', trace_id: trace.id },
    ]);
    const text = formatWaterfall(hostile) + formatAnalysis(analyze([hostile]));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(text).toContain('evil\\u{1b}]0;owned\\u{7}\\u{d}');
  });

  it('groups by root cause: which entity is the root cause of most faults, of most response time', () => {
    const traces = [
      requestTrace(0.1),
      requestTrace(0.1, { fault: true }),
      requestTrace(1.1, { fault: true }),
    ];
    const faults = analyze(traces, { by: 'rootcause', kind: 'fault' });
    expect(faults.rows.map((r) => [r.key, r.count])).toEqual([['vendor.localhost', 2]]);
    const slow = analyze(traces, { by: 'rootcause', kind: 'responsetime' });
    expect(slow.rows[0]?.key).toBe('vendor.localhost');
    expect(slow.rows[0]?.count).toBe(3);
    expect(parseGroupBy('rootcause:responsetime')).toEqual({ by: 'rootcause', kind: 'responsetime' });
    expect(parseGroupBy('rootcause:bogus')).toBeUndefined();
    expect(parseGroupBy('annotation:a b')).toBeUndefined();
  });

  it('copes with an empty window', () => {
    expect(analyze([])).toMatchObject({ traces: 0, rows: [] });
    expect(formatAnalysis(analyze([]))).toBe('No traces in this window.');
  });
});
