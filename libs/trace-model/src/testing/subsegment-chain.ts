import type { SegmentDoc } from '@parcel/xray-protocol';

/**
 * A trace nested `length` deep: a root segment, then subsegments each sent on its own (`type:
 * "subsegment"`) under the one before, as the SDK streams them. Entity n (from 1) has the id n in 16 hex
 * digits, so a test names the one a depth limit cuts at. For the depth limits of assembly and of the store.
 */
export function subsegmentChain(traceId: string, length: number, start: number): SegmentDoc[] {
  const id = (n: number) => n.toString(16).padStart(16, '0');
  const docs: SegmentDoc[] = [
    { id: id(1), trace_id: traceId, name: 'root', start_time: start, end_time: start + 1 },
  ];
  for (let n = 2; n <= length; n++) {
    docs.push({
      id: id(n),
      trace_id: traceId,
      type: 'subsegment',
      parent_id: id(n - 1),
      name: `s${n}`,
      start_time: start,
      end_time: start + 1,
    });
  }
  return docs;
}
