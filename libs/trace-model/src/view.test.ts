import type { SegmentDoc } from '@parcel/xray-protocol';
import { describe, expect, it } from 'vitest';
import { buildTraceModel } from './build';
import type { FactsView, TraceView } from './model';
import { type ParcelTraceOptions, parcelTraceDocuments } from './testing/parcel-trace';
import { TraceViewCompactor } from './view';

/** Every field of `TraceView`, facts included (without their entity ids), as plain data. */
function plain(view: TraceView) {
  // A model's facts carry their entity's id; a view's need not.
  const withoutId = (facts: FactsView) => {
    const { id: _id, ...rest } = facts as FactsView & { id?: string };
    return rest;
  };
  return {
    id: view.id,
    startTime: view.startTime,
    endTime: view.endTime,
    duration: view.duration,
    responseTime: view.responseTime,
    http: view.http,
    hasFault: view.hasFault,
    hasError: view.hasError,
    hasThrottle: view.hasThrottle,
    isPartial: view.isPartial,
    root: view.root,
    entityCount: view.entityCount,
    annotationValues: { ...view.annotationValues },
    userNames: view.userNames,
    services: view.services.map((s) => ({
      key: s.key,
      name: s.name,
      type: s.type,
      names: s.names,
      inferred: s.inferred,
      root: s.root,
      hasError: s.hasError,
      hasFault: s.hasFault,
      hasThrottle: s.hasThrottle,
      facts: view.factsOf(s).map(withoutId),
    })),
    edges: view.edges.map((e) => ({
      key: e.key,
      from: e.from.key,
      to: e.to.key,
      hasError: e.hasError,
      hasFault: e.hasFault,
      hasThrottle: e.hasThrottle,
      calls: view.factsOf(e).map(withoutId),
    })),
    faultRootCauses: view.faultRootCauses,
    errorRootCauses: view.errorRootCauses,
    responseTimeRootCauses: view.responseTimeRootCauses,
  };
}

const VARIANTS: ParcelTraceOptions[] = [
  {},
  { cache: 'miss' },
  { cache: 'miss', vendor: 'timeout' },
  { cache: 'stale', vendor: 'not_found', user: 'alice' },
  { cache: 'miss', apiFault: true },
  { dynamoThrottle: true, apiExtra: 1.5 },
  { notFound: true, parcelId: 'RR000000000GB' },
  { cache: 'miss', inProgress: true, streamSubsegments: true },
];

describe('TraceViewCompactor', () => {
  it('gives each trace a view equal to its model, field by field and fact by fact', () => {
    const compactor = new TraceViewCompactor();
    // Twice over: the second round is built from shapes and values the first left to share.
    for (const round of [0, 1]) {
      for (const [i, options] of VARIANTS.entries()) {
        const model = buildTraceModel(
          `t${i}`,
          parcelTraceDocuments({ ...options, start: 1_763_750_000 + round }),
        );
        expect(plain(compactor.compact(model))).toEqual(plain(model));
      }
    }
  });

  it('shares the shape of traces alike, and keeps per-trace values apart', () => {
    const compactor = new TraceViewCompactor();
    const a = compactor.compact(
      buildTraceModel('a', parcelTraceDocuments({ cache: 'miss', parcelId: 'RR1GB' })),
    );
    const b = compactor.compact(
      buildTraceModel('b', parcelTraceDocuments({ cache: 'miss', parcelId: 'RR2GB' })),
    );
    expect(b.services).toBe(a.services);
    expect(b.faultRootCauses).toBe(a.faultRootCauses);
    expect(a.annotationValues.parcel_id).toEqual(['RR1GB']);
    expect(b.annotationValues.parcel_id).toEqual(['RR2GB']);
    expect(b.http?.url).toContain('RR2GB');
  });

  it('keeps odd annotation keys as own values and empty or cyclic traces as the model has them', () => {
    const compactor = new TraceViewCompactor();
    const odd: SegmentDoc = {
      id: 'a000000000000001',
      trace_id: 't',
      name: 'svc',
      start_time: 1,
      end_time: 2,
      annotations: JSON.parse('{"__proto__":"x","constructor":1,"0":true}'),
    };
    const cyclic: SegmentDoc[] = [
      {
        id: 'c000000000000001',
        trace_id: 't',
        parent_id: 'c000000000000002',
        name: 'a',
        start_time: 1,
        end_time: 2,
      },
      {
        id: 'c000000000000002',
        trace_id: 't',
        parent_id: 'c000000000000001',
        name: 'b',
        start_time: 1,
        end_time: 2,
      },
    ];
    for (const docs of [[odd], [], cyclic]) {
      const model = buildTraceModel('t', docs);
      const view = compactor.compact(model);
      expect(plain(view)).toEqual(plain(model));
      expect(Object.keys(view.annotationValues)).toEqual(Object.keys(model.annotationValues));
    }
    expect(Object.getPrototypeOf(compactor.compact(buildTraceModel('t', [odd])).annotationValues)).toBe(
      Object.prototype,
    );
  });
});
