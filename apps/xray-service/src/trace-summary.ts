import type { RootCause, ServiceNode, TraceModel } from '@parcel/trace-model';
import { CLIENT } from '@parcel/trace-model';

/** A `ServiceId` as the API returns it. */
export function serviceIdWire(node: ServiceNode): Record<string, unknown> {
  return node.type !== undefined
    ? { Name: node.name, Names: node.names, Type: node.type }
    : { Name: node.name, Names: node.names };
}

/**
 * `FaultRootCauses`/`ErrorRootCauses` (entities with `Exceptions`) and `ResponseTimeRootCauses`
 * (entities with `Coverage`), as the X-Ray API reference shapes them.
 */
function rootCausesWire(causes: RootCause[], kind: 'exceptions' | 'coverage'): Record<string, unknown>[] {
  return causes.map((cause) => ({
    Services: cause.services.map((service) => ({
      Name: service.name,
      Names: service.names,
      ...(service.type !== undefined ? { Type: service.type } : {}),
      Inferred: service.inferred,
      EntityPath: service.entityPath.map((entity) =>
        kind === 'coverage'
          ? { Name: entity.name, Coverage: entity.coverage ?? 0, Remote: entity.remote }
          : {
              Name: entity.name,
              Exceptions: entity.exceptions.map((ex) => ({ Name: ex.name, Message: ex.message })),
              Remote: entity.remote,
            },
      ),
    })),
    ClientImpacting: cause.clientImpacting,
  }));
}

/** A `TraceSummary` as GetTraceSummaries returns it (times in epoch seconds, as REST-JSON sends them). */
export function traceSummaryWire(model: TraceModel, revision: number): Record<string, unknown> {
  const summary: Record<string, unknown> = {
    Id: model.id,
    StartTime: model.startTime,
    Duration: round3(model.duration),
    ResponseTime: round3(model.responseTime),
    HasFault: model.hasFault,
    HasError: model.hasError,
    HasThrottle: model.hasThrottle,
    IsPartial: model.isPartial,
    Http: httpOf(model),
    Annotations: Object.fromEntries(
      Object.entries(model.annotations).map(([key, entries]) => [
        key,
        entries.map((e) => ({
          AnnotationValue: annotationValue(e.value),
          ServiceIds: e.services.map(serviceIdWire),
        })),
      ]),
    ),
    Users: [...model.users].map(([UserName, services]) => ({
      UserName,
      ServiceIds: services.map(serviceIdWire),
    })),
    ServiceIds: model.services.map(serviceIdWire),
    ResourceARNs: [],
    InstanceIds: [],
    AvailabilityZones: [],
    FaultRootCauses: rootCausesWire(model.faultRootCauses, 'exceptions'),
    ErrorRootCauses: rootCausesWire(model.errorRootCauses, 'exceptions'),
    ResponseTimeRootCauses: rootCausesWire(model.responseTimeRootCauses, 'coverage'),
    Revision: revision,
  };
  const entry = model.edges.find((e) => e.from === CLIENT && e.to === model.rootSegment?.service);
  if (entry) summary.EntryPoint = serviceIdWire(entry.to);
  return summary;
}

function httpOf(model: TraceModel): Record<string, unknown> {
  const http = model.http;
  const out: Record<string, unknown> = {};
  if (http?.url !== undefined) out.HttpURL = http.url;
  if (http?.status !== undefined) out.HttpStatus = http.status;
  if (http?.method !== undefined) out.HttpMethod = http.method;
  if (http?.userAgent !== undefined) out.UserAgent = http.userAgent;
  if (http?.clientIp !== undefined) out.ClientIp = http.clientIp;
  return out;
}

function annotationValue(value: string | number | boolean): Record<string, unknown> {
  if (typeof value === 'number') return { NumberValue: value };
  if (typeof value === 'boolean') return { BooleanValue: value };
  return { StringValue: value };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
