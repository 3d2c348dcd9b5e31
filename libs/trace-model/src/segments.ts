import type { SegmentDoc, SubsegmentDoc } from '@parcel/xray-protocol';
import type { Entity, TraceModel } from './model';

/**
 * The trace's segment documents with every subsegment nested under its parent, separately sent ones
 * included (without their `type`, `trace_id` and `parent_id`), as BatchGetTraces returns them. Copies:
 * the stored documents are not modified. Built children first, without recursion.
 */
export function assembledSegments(model: TraceModel): SegmentDoc[] {
  const copies = new Map<Entity, SubsegmentDoc>();
  for (let i = model.entities.length - 1; i >= 0; i--) {
    const entity = model.entities[i] as Entity;
    let copy: SubsegmentDoc;
    if (entity.kind === 'segment' || entity.parent === undefined) copy = { ...entity.doc };
    else {
      const { type: _type, trace_id: _trace, parent_id: _parent, ...rest } = entity.doc as SegmentDoc;
      copy = rest;
    }
    const subsegments: SubsegmentDoc[] = [];
    for (const child of entity.children) {
      if (child.kind === 'subsegment') subsegments.push(copies.get(child) as SubsegmentDoc);
    }
    if (subsegments.length > 0) copy.subsegments = subsegments;
    else delete copy.subsegments;
    copies.set(entity, copy);
  }
  return model.segments.map((s) => copies.get(s) as SegmentDoc);
}
