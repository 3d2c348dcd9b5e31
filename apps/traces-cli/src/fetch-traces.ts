import { BatchGetTracesCommand, GetTraceSummariesCommand, type XRayClient } from '@aws-sdk/client-xray';
import { buildTraceModel, type TraceModel } from '@parcel/trace-model';
import type { SegmentDoc } from '@parcel/xray-protocol';

/** BatchGetTraces takes at most 5 ids per call in AWS. */
const BATCH = 5;

export interface Window {
  start: Date;
  end: Date;
  filterExpression?: string;
  /** Stop after this many traces (a window at 3,000 req/s can be large). */
  limit?: number;
}

/** The ids of the traces in a window, through GetTraceSummaries' pages. */
export async function listTraceIds(client: XRayClient, window: Window): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetTraceSummariesCommand({
        StartTime: window.start,
        EndTime: window.end,
        FilterExpression: window.filterExpression,
        NextToken: nextToken,
      }),
    );
    for (const s of page.TraceSummaries ?? []) if (s.Id) ids.push(s.Id);
    nextToken = page.NextToken;
  } while (nextToken && ids.length < (window.limit ?? Number.POSITIVE_INFINITY));
  return window.limit ? ids.slice(0, window.limit) : ids;
}

/** The given traces, read with BatchGetTraces and modelled as the service models them. */
export async function getTraces(client: XRayClient, ids: readonly string[]): Promise<TraceModel[]> {
  const out: TraceModel[] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    const res = await client.send(new BatchGetTracesCommand({ TraceIds: ids.slice(i, i + BATCH) }));
    for (const t of res.Traces ?? []) {
      const documents = (t.Segments ?? []).map((s) => JSON.parse(s.Document ?? '{}') as SegmentDoc);
      out.push(buildTraceModel(t.Id ?? '', documents));
    }
  }
  return out;
}
