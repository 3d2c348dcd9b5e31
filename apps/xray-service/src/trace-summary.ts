import { CLIENT_KEY, serviceIds, type TraceView } from './trace-analysis';

/** A `TraceSummary` as GetTraceSummaries returns it (times in epoch seconds, as REST-JSON sends them). */
export function traceSummaryWire(view: TraceView, revision: number): Record<string, unknown> {
  const summary: Record<string, unknown> = {
    Id: view.id,
    StartTime: view.startTime,
    Duration: round3(view.duration),
    ResponseTime: round3(view.responseTime),
    HasFault: view.hasFault,
    HasError: view.hasError,
    HasThrottle: view.hasThrottle,
    IsPartial: view.isPartial,
    Http: httpOf(view),
    Annotations: Object.fromEntries(
      [...view.annotations].map(([key, entries]) => [
        key,
        entries.map((e) => ({ AnnotationValue: annotationValue(e.value), ServiceIds: e.services })),
      ]),
    ),
    Users: [...view.users].map(([UserName, ServiceIds]) => ({ UserName, ServiceIds })),
    ServiceIds: serviceIds(view),
    ResourceARNs: [],
    InstanceIds: [],
    AvailabilityZones: [],
    FaultRootCauses: [],
    ErrorRootCauses: [],
    ResponseTimeRootCauses: [],
    Revision: revision,
  };
  const entry = view.edges.find((e) => e.from === CLIENT_KEY);
  const entryNode = entry && view.nodes.find((n) => n.key === entry.to);
  if (entryNode) {
    summary.EntryPoint = entryNode.type
      ? { Name: entryNode.name, Names: entryNode.names, Type: entryNode.type }
      : { Name: entryNode.name, Names: entryNode.names };
  }
  return summary;
}

function httpOf(view: TraceView): Record<string, unknown> {
  const http = view.root?.http;
  const out: Record<string, unknown> = {};
  if (http?.request?.url !== undefined) out.HttpURL = http.request.url;
  if (http?.response?.status !== undefined) out.HttpStatus = http.response.status;
  if (http?.request?.method !== undefined) out.HttpMethod = http.request.method;
  if (http?.request?.user_agent !== undefined) out.UserAgent = http.request.user_agent;
  if (http?.request?.client_ip !== undefined) out.ClientIp = http.request.client_ip;
  return out;
}

function annotationValue(value: string | number | boolean): Record<string, unknown> {
  if (typeof value === 'number') return { NumberValue: value };
  if (typeof value === 'boolean') return { BooleanValue: value };
  return { StringValue: value };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
