import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BatchGetTracesCommand, XRayClient } from '@aws-sdk/client-xray';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@parcel/config';
import { buildTraceModel } from '@parcel/trace-model';
import type { SegmentDoc, SubsegmentDoc } from '@parcel/xray-protocol';

/** One segment or subsegment of a trace, flattened, with the id of what contains it. */
export interface TraceNode {
  id: string;
  parentId: string | undefined;
  name: string;
  start: number;
  end: number;
  kind: 'segment' | 'subsegment';
  /** The name of the segment that recorded this node (its own name for a segment). */
  segmentName: string;
  doc: SubsegmentDoc & Partial<SegmentDoc>;
}

export function xrayClient(endpoint: string): XRayClient {
  return new XRayClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

/** The trace's entities as the one trace model assembles them (depth first, children by start time). */
function nodesOf(traceId: string, documents: SegmentDoc[]): TraceNode[] {
  return buildTraceModel(traceId, documents).entities.map((e) => ({
    id: e.id,
    parentId: e.parent?.id ?? e.doc.parent_id,
    name: e.name,
    start: e.start,
    end: e.inProgress ? Number.NaN : e.end,
    kind: e.kind,
    segmentName: e.segment?.name ?? e.name,
    doc: e.doc,
  }));
}

/**
 * Whether every document of the trace has arrived, as far as its shape can tell: one root (no parent),
 * every other node's parent in the trace, nothing in progress. The hops send their documents
 * independently (the daemon batches, an OTLP exporter exports in rounds), so a trace read back while it
 * arrives has its parts in any order: a child before the subsegment that called it, or everything but the
 * edge.
 */
export function settled(nodes: TraceNode[]): boolean {
  const ids = new Set(nodes.map((n) => n.id));
  return (
    nodes.filter((n) => n.parentId === undefined).length === 1 &&
    nodes.every((n) => (n.parentId === undefined || ids.has(n.parentId)) && Number.isFinite(n.end))
  );
}

/**
 * Reads a trace back with the real X-Ray client, polling until it has settled (above) and `complete` says
 * it holds what the test is about.
 */
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
    nodes = nodesOf(traceId, docs);
    if (nodes.length > 0 && settled(nodes) && complete(nodes)) return nodes;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `trace ${traceId} not ${settled(nodes) ? 'complete' : 'settled (one root, every parent in the trace, nothing in progress)'} after ${timeoutMs} ms; have:\n${nodes.map((n) => `  ${n.kind} ${n.name} (${n.segmentName})`).join('\n')}`,
  );
}

/** `aws xray batch-get-traces --endpoint-url …`, the real AWS CLI, parsed: what a person at a terminal reads. */
export async function batchGetTracesWithCli(
  endpoint: string,
  traceId: string,
): Promise<{ Id: string; Segments: { Id: string; Document: string }[] }[]> {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
    AWS_DEFAULT_REGION: 'us-east-1',
  };
  const { stdout } = await promisify(execFile)(
    'aws',
    ['xray', 'batch-get-traces', '--endpoint-url', endpoint, '--trace-ids', traceId, '--output', 'json'],
    { env },
  );
  return (JSON.parse(stdout) as { Traces: { Id: string; Segments: { Id: string; Document: string }[] }[] })
    .Traces;
}

// ---- trace shapes: the nodes a check looks for -------------------------------------------------------

export const segments = (nodes: TraceNode[]) => nodes.filter((n) => n.kind === 'segment');
export const named = (nodes: TraceNode[], name: string) => segments(nodes).filter((n) => n.name === name);
export const byOrigin = (nodes: TraceNode[], origin: string) =>
  segments(nodes).filter((n) => n.doc.origin === origin);
export const awsOp = (nodes: TraceNode[], op: string) => nodes.filter((n) => n.doc.aws?.operation === op);
export const vendorCalls = (nodes: TraceNode[]) =>
  nodes.filter(
    (n) => n.kind === 'subsegment' && String(n.doc.http?.request?.url ?? '').includes('/v2/parcels/'),
  );
export const sqlCalls = (nodes: TraceNode[]) => nodes.filter((n) => n.doc.sql !== undefined);
export const executions = (nodes: TraceNode[]) => byOrigin(nodes, 'AWS::StepFunctions::StateMachine');

/** Every exception message recorded on a node, joined (the cause is where X-Ray keeps the why). */
export function causeText(node: TraceNode | undefined): string {
  const cause = node?.doc.cause;
  if (!cause || typeof cause === 'string') return String(cause ?? '');
  return (cause.exceptions ?? []).map((e) => `${e.type ?? ''}: ${e.message ?? ''}`).join(' | ');
}

/** One line per node (kind, name, flags, status, cause), for assertion messages. */
export function describeTrace(nodes: TraceNode[]): string {
  return nodes
    .map((n) => {
      const flags = ['fault', 'error', 'throttle'].filter((f) => n.doc[f as 'fault']).join(',');
      const status = n.doc.http?.response?.status ?? '';
      return `  ${n.kind} ${n.name} (${n.segmentName}) ${flags} ${status} ${n.doc.aws?.operation ?? ''} ${causeText(n)}`;
    })
    .join('\n');
}
