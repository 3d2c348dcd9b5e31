import { BatchGetTracesCommand, XRayClient } from '@aws-sdk/client-xray';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@parcel/config';
import type { SegmentDoc, SubsegmentDoc } from '@parcel/xray-protocol';

/** One segment or subsegment of a trace, flattened, with the id of what contains it. */
export interface TraceNode {
  id: string;
  parentId: string | undefined;
  name: string;
  start: number;
  end: number;
  kind: 'segment' | 'subsegment';
  /** The segment this node was sent in (its own id for a segment). */
  segmentName: string;
  doc: SubsegmentDoc & Partial<SegmentDoc>;
}

export function xrayClient(endpoint: string): XRayClient {
  return new XRayClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

export function flatten(segments: SegmentDoc[]): TraceNode[] {
  const nodes: TraceNode[] = [];
  const walk = (
    doc: SubsegmentDoc,
    parentId: string | undefined,
    segmentName: string,
    kind: TraceNode['kind'],
  ) => {
    nodes.push({
      id: doc.id,
      parentId,
      name: doc.name,
      start: doc.start_time,
      end: doc.end_time ?? Number.NaN,
      kind,
      segmentName,
      doc,
    });
    for (const sub of doc.subsegments ?? []) walk(sub, doc.id, segmentName, 'subsegment');
  };
  for (const s of segments) walk(s, s.parent_id, s.name, s.type === 'subsegment' ? 'subsegment' : 'segment');
  return nodes;
}

/** Reads a trace back with the real X-Ray client, polling until `complete` says it is whole. */
export async function readTrace(
  client: XRayClient,
  traceId: string,
  complete: (nodes: TraceNode[]) => boolean,
  timeoutMs = 15_000,
): Promise<TraceNode[]> {
  const deadline = Date.now() + timeoutMs;
  let nodes: TraceNode[] = [];
  while (Date.now() < deadline) {
    const out = await client.send(new BatchGetTracesCommand({ TraceIds: [traceId] }));
    const docs = (out.Traces?.[0]?.Segments ?? []).map((s) => JSON.parse(s.Document ?? '{}') as SegmentDoc);
    nodes = flatten(docs);
    if (nodes.length > 0 && complete(nodes)) return nodes;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `trace ${traceId} not complete after ${timeoutMs} ms; have:\n${nodes.map((n) => `  ${n.kind} ${n.name} (${n.segmentName})`).join('\n')}`,
  );
}

export function sampledHeader(traceId: string): string {
  return `Root=${traceId};Sampled=1`;
}
