import { type KeepReason, TRACE_KEPT_ANNOTATION } from '@parcel/sampling-rules';
import { type Cause, type SegmentDoc, type SubsegmentDoc, statusFlags } from '@parcel/xray-protocol';
import type { EdgeTrace } from './edge-trace';

export interface StageIdentity {
  apiId: string;
  stageName: string;
  accountId: string;
  region: string;
}

export interface IntegrationCall {
  url: string;
  method: string;
  startMs: number;
  endMs: number;
  status?: number;
  contentLength?: number;
  /** Set when no response came back (timeout, refused, reset); `code` is the socket error's, if any. */
  failure?: { type: string; message: string; code?: string };
}

export interface StageRequestRecord {
  requestId: string;
  startMs: number;
  endMs: number;
  method: string;
  url: string;
  clientIp?: string;
  forwardedFor: boolean;
  userAgent?: string;
  status: number;
  contentLength?: number;
  integration?: IntegrationCall;
  /** Set when an unsampled request's segment is kept (keep-on-error): becomes the `trace_kept` annotation. */
  kept?: KeepReason;
}

/** API Gateway names the stage `{api name}/{stage}`; that is also the ServiceName sampling rules match. */
export function stageServiceName(stage: StageIdentity): string {
  return `${stage.apiId}/${stage.stageName}`;
}

export const STAGE_ORIGIN = 'AWS::ApiGateway::Stage';

/** The stage segment API Gateway sends for a traced request, with the integration call as a subsegment. */
export function buildStageSegment(
  stage: StageIdentity,
  trace: EdgeTrace,
  record: StageRequestRecord,
): SegmentDoc & Record<string, unknown> {
  const segment: SegmentDoc & Record<string, unknown> = {
    name: stageServiceName(stage),
    id: trace.stageSegmentId,
    trace_id: trace.traceId,
    start_time: record.startMs / 1000,
    end_time: record.endMs / 1000,
    origin: STAGE_ORIGIN,
    resource_arn: `arn:aws:apigateway:${stage.region}::/restapis/${stage.apiId}/stages/${stage.stageName}`,
    http: {
      request: {
        url: clip(record.url, 2000),
        method: record.method,
        ...(record.clientIp ? { client_ip: record.clientIp } : {}),
        ...(record.forwardedFor ? { x_forwarded_for: true } : {}),
        ...(record.userAgent ? { user_agent: clip(record.userAgent, 250) } : {}),
      },
      response: {
        status: record.status,
        ...(record.contentLength !== undefined ? { content_length: record.contentLength } : {}),
      },
    },
    aws: {
      ...(trace.decision ? { xray: { sampling_rule_name: trace.decision.ruleName } } : {}),
      api_gateway: {
        account_id: stage.accountId,
        rest_api_id: stage.apiId,
        stage: stage.stageName,
        request_id: record.requestId,
      },
    },
    annotations: {
      'aws:api_id': stage.apiId,
      'aws:api_stage': stage.stageName,
      ...(record.kept ? { [TRACE_KEPT_ANNOTATION]: record.kept } : {}),
    },
    metadata: { default: { request_id: record.requestId } },
    ...statusFlags(record.status),
  };
  if (trace.callerParentId) segment.parent_id = trace.callerParentId;
  if (record.integration) segment.subsegments = [integrationSubsegment(trace, record.integration)];
  return segment;
}

function integrationSubsegment(trace: EdgeTrace, call: IntegrationCall): SubsegmentDoc {
  let name = 'integration';
  try {
    name = new URL(call.url).host;
  } catch {
    // keep the generic name
  }
  const sub: SubsegmentDoc = {
    id: trace.integrationSegmentId,
    name,
    start_time: call.startMs / 1000,
    end_time: call.endMs / 1000,
    namespace: 'remote',
    http: {
      request: { url: clip(call.url, 2000), method: call.method, traced: true },
      ...(call.status !== undefined
        ? {
            response: {
              status: call.status,
              ...(call.contentLength !== undefined ? { content_length: call.contentLength } : {}),
            },
          }
        : {}),
    },
  };
  if (call.status !== undefined) Object.assign(sub, statusFlags(call.status));
  if (call.failure) {
    sub.fault = true;
    sub.cause = failureCause(call.failure);
  }
  return sub;
}

function failureCause(failure: { type: string; message: string }): Cause {
  return {
    exceptions: [
      { id: randomExceptionId(), type: failure.type, message: clip(failure.message, 250), remote: true },
    ],
  };
}

function randomExceptionId(): string {
  let id = '';
  for (let i = 0; i < 16; i++) id += Math.floor(Math.random() * 16).toString(16);
  return id;
}

function clip(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}
