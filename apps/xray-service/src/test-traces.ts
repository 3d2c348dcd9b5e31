import { newSegmentId, newTraceId, type SegmentDoc } from '@parcel/xray-protocol';

/**
 * Builds the documents one parcel request produces on its way through the stack (gateway stage →
 * parcel-api → DynamoDB + Step Functions → warehouse-query → PostgreSQL + vendor), for tests.
 */
export function parcelRequestTrace(opts: { nowS?: number; vendorFault?: boolean; parcelId?: string } = {}) {
  const now = opts.nowS ?? Date.now() / 1000;
  const traceId = newTraceId(now * 1000);
  const stageId = newSegmentId();
  const apiId = newSegmentId();
  const dynamoSubId = newSegmentId();
  const sfnSubId = newSegmentId();
  const sfnId = newSegmentId();
  const whId = newSegmentId();
  const vendorSubId = newSegmentId();
  const status = opts.vendorFault ? 502 : 200;
  const stage: SegmentDoc = {
    name: 'parcelapi/local',
    id: stageId,
    trace_id: traceId,
    origin: 'AWS::ApiGateway::Stage',
    start_time: now,
    end_time: now + 0.3,
    http: {
      request: {
        method: 'GET',
        url: `http://127.0.0.1:3000/parcels/${opts.parcelId ?? 'RR123456785GB'}`,
        client_ip: '127.0.0.1',
        user_agent: 'curl/8',
      },
      response: { status },
    },
    ...(opts.vendorFault ? { fault: true } : {}),
    annotations: { parcel_id: opts.parcelId ?? 'RR123456785GB' },
  };
  const api: SegmentDoc = {
    name: 'parcel-api',
    id: apiId,
    trace_id: traceId,
    parent_id: stageId,
    origin: 'AWS::ECS::Container',
    start_time: now + 0.01,
    end_time: now + 0.29,
    annotations: { cache: 'miss', parcel_id: opts.parcelId ?? 'RR123456785GB' },
    http: { request: { method: 'GET', url: 'http://127.0.0.1:3001/parcels/x' }, response: { status } },
    subsegments: [
      {
        id: dynamoSubId,
        name: 'DynamoDB',
        namespace: 'aws',
        start_time: now + 0.02,
        end_time: now + 0.03,
        aws: { operation: 'GetItem', table_name: 'parcels' },
        http: { response: { status: 200 } },
      },
    ],
  };
  // Sent on its own, as the SDK streams a closed subsegment.
  const sfnSub: SegmentDoc = {
    type: 'subsegment',
    id: sfnSubId,
    trace_id: traceId,
    parent_id: apiId,
    name: 'SFN',
    namespace: 'aws',
    start_time: now + 0.04,
    end_time: now + 0.28,
    aws: { operation: 'StartSyncExecution' },
  };
  const sfn: SegmentDoc = {
    name: 'parcel-fanout',
    id: sfnId,
    trace_id: traceId,
    parent_id: sfnSubId,
    origin: 'AWS::StepFunctions::StateMachine',
    start_time: now + 0.05,
    end_time: now + 0.27,
  };
  const warehouse: SegmentDoc = {
    name: 'warehouse-query',
    id: whId,
    trace_id: traceId,
    parent_id: sfnId,
    origin: 'AWS::ECS::Container',
    start_time: now + 0.06,
    end_time: now + 0.26,
    ...(opts.vendorFault ? { fault: true } : {}),
    annotations: { vendor_status: opts.vendorFault ? 'timeout' : 'ok' },
    subsegments: [
      {
        id: newSegmentId(),
        name: 'parcels@127.0.0.1',
        namespace: 'remote',
        start_time: now + 0.07,
        end_time: now + 0.08,
        sql: { database_type: 'PostgreSQL', sanitized_query: 'SELECT $1' },
      },
      {
        id: vendorSubId,
        name: 'vendor.localhost',
        namespace: 'remote',
        start_time: now + 0.09,
        end_time: now + 0.25,
        http: {
          request: { method: 'GET', url: 'https://vendor.localhost:8443/v1/parcels/x' },
          response: { status: opts.vendorFault ? 504 : 200 },
        },
        ...(opts.vendorFault ? { fault: true } : {}),
      },
    ],
  };
  return { traceId, stageId, apiId, sfnSubId, docs: [stage, api, sfnSub, sfn, warehouse] };
}
