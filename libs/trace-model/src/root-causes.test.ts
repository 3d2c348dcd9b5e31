import type { SegmentDoc } from '@parcel/xray-protocol';
import { describe, expect, it } from 'vitest';
import { buildTraceModel, MAX_TRACE_DEPTH } from './build';
import { assembledSegments } from './segments';
import { parcelTraceDocuments } from './testing/parcel-trace';
import { subsegmentChain } from './testing/subsegment-chain';

const servicePath = (cause: { services: { name: string }[] } | undefined) =>
  cause?.services.map((s) => s.name);

// X-Ray API reference, TraceSummary: "HasFault: The root segment document has a 500 series error";
// FaultRootCause / FaultRootCauseService / FaultRootCauseEntity (Name, Exceptions, Remote), ClientImpacting.
describe('fault and error root causes (X-Ray API reference: TraceSummary, FaultRootCause)', () => {
  it('a root that answered 200 over a faulted dependency: HasFault false, the dependency is the root cause', () => {
    const model = buildTraceModel('t', parcelTraceDocuments({ cache: 'miss', vendor: 'timeout' }));
    expect(model.hasFault).toBe(false);
    expect(model.faultRootCauses).toHaveLength(1);
    const [cause] = model.faultRootCauses;
    expect(cause?.clientImpacting).toBe(false);
    const last = cause?.services.at(-1);
    expect(last).toMatchObject({ name: 'vendor.localhost', type: 'remote', inferred: true });
    expect(last?.entityPath).toEqual([
      {
        name: 'vendor.localhost',
        remote: true,
        exceptions: [{ name: 'TimeoutError', message: 'vendor timeout after 400 ms' }],
      },
    ]);
    // The path starts at the entry point, service by service.
    expect(servicePath(cause)?.[0]).toBe('parcel-api/local');
    expect(model.errorRootCauses).toEqual([]);
  });

  it('a fault the client saw is ClientImpacting, and names the deepest entity carrying it', () => {
    const model = buildTraceModel('t', parcelTraceDocuments({ apiFault: true }));
    expect(model.hasFault).toBe(true);
    expect(model.faultRootCauses.every((c) => c.clientImpacting)).toBe(true);
    expect(model.faultRootCauses.map((c) => servicePath(c)?.at(-1))).toEqual(['parcel-api']);
  });

  it('a 404 at the root is an error root cause and HasError, not a fault', () => {
    const model = buildTraceModel('t', parcelTraceDocuments({ notFound: true }));
    expect([model.hasFault, model.hasError]).toEqual([false, true]);
    expect(model.faultRootCauses).toEqual([]);
    expect(model.errorRootCauses[0]?.clientImpacting).toBe(true);
  });

  it('HasThrottle: one or more segment documents have a 429', () => {
    const docs = parcelTraceDocuments({ cache: 'miss' });
    const inner = { ...(docs[docs.length - 1] as SegmentDoc), throttle: true, error: true };
    const model = buildTraceModel('t', [...docs.slice(0, -1), inner]);
    expect([model.hasThrottle, model.hasError]).toEqual([true, false]);
  });
});

// X-Ray API reference, ResponseTimeRootCause / ResponseTimeRootCauseEntity (Name, Coverage, Remote).
describe('response-time root cause', () => {
  it('follows the entity path holding most of the response time down to the slowest entity', () => {
    const model = buildTraceModel('t', parcelTraceDocuments({ cache: 'miss', vendor: 'timeout' }));
    const [cause] = model.responseTimeRootCauses;
    expect(cause?.clientImpacting).toBe(true);
    const first = cause?.services[0]?.entityPath[0];
    expect(first).toMatchObject({ name: 'parcel-api/local', coverage: 1 });
    const last = cause?.services.at(-1);
    expect(last?.name).toBe('vendor.localhost');
    const coverages = cause?.services.flatMap((s) => s.entityPath.map((e) => e.coverage ?? 0)) ?? [];
    expect(coverages.every((c) => c > 0.5)).toBe(true);
  });

  it('stops where the time is the entity’s own', () => {
    const model = buildTraceModel('t', parcelTraceDocuments({ apiExtra: 1.5 }));
    expect(servicePath(model.responseTimeRootCauses[0])?.at(-1)).toBe('parcel-api');
    // A quick vendor answer (78 of warehouse-query's 296 ms) leaves the time with warehouse-query.
    const quick = buildTraceModel('t', parcelTraceDocuments({ cache: 'miss' }));
    expect(servicePath(quick.responseTimeRootCauses[0])?.at(-1)).toBe('warehouse-query');
  });
});

describe('bounded assembly', () => {
  const trace = '1-6920b000-a1b2c3d4e5f60718293a4b5c';
  const hex = (n: number) => n.toString(16).padStart(16, '0');

  it('a chain of thousands of subsegments, each sent on its own, assembles without recursion, cut at the limit', () => {
    const model = buildTraceModel(trace, subsegmentChain(trace, 5000, 1).reverse());
    expect(model.entities).toHaveLength(MAX_TRACE_DEPTH + 1);
    expect(model.cutAtDepth).toBe(5000 - MAX_TRACE_DEPTH - 1);
    expect(model.isPartial).toBe(true);
    expect(() => JSON.stringify(assembledSegments(model))).not.toThrow();
  });

  it('aggregates 40,000 distinct annotation values with one entry each', () => {
    const subsegments = Array.from({ length: 40_000 }, (_, i) => ({
      id: hex(i + 10),
      name: 'x',
      start_time: 1,
      end_time: 2,
      annotations: { k: `v${i}`, same: 1 },
    }));
    const model = buildTraceModel(trace, [
      { id: hex(1), trace_id: trace, name: 'root', start_time: 1, end_time: 2, subsegments },
    ]);
    expect(model.annotations.k).toHaveLength(40_000);
    expect(model.annotations.same).toEqual([{ value: 1, services: [model.services[0]] }]);
  });

  it('nests separately sent subsegments in BatchGetTraces output without touching the stored documents', () => {
    const docs = parcelTraceDocuments({ streamSubsegments: true });
    const before = JSON.stringify(docs);
    const model = buildTraceModel('t', docs);
    const segments = assembledSegments(model);
    expect(segments.every((s) => s.type !== 'subsegment')).toBe(true);
    expect(JSON.stringify(segments)).toContain('"DynamoDB"');
    expect(JSON.stringify(docs)).toBe(before);
  });
});
