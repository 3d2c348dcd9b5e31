import { newTraceId, type SegmentDoc, type SubsegmentDoc } from '@parcel/xray-protocol';

/**
 * Segment documents shaped like the ones this project's path emits for one `GET /parcels/{id}`:
 * gateway stage → parcel-api (DynamoDB GetItem; on a miss StartSyncExecution → parcel-fanout state machine
 * → two gateway calls → warehouse-query (PostgreSQL) / warehouse-query (HTTPS to the vendor), DynamoDB PutItem).
 * Used by the tests and the benchmark; every knob changes the documents, never a derived answer.
 */
export interface ParcelTraceOptions {
  traceId?: string;
  /** Epoch seconds of the first byte at the gateway. */
  start?: number;
  /**
   * Start this many seconds before now instead (for tests against a running service, whose windows are
   * relative to now); such a trace gets a fresh trace id unless `traceId` is given, so several can be sent.
   */
  secondsAgo?: number;
  parcelId?: string;
  cache?: 'hit' | 'miss' | 'stale';
  /** Vendor call outcome: answered, timed out (fault on the subsegment), or 404. */
  vendor?: 'ok' | 'timeout' | 'not_found';
  /** parcel-api answers 500 (and so does the gateway). */
  apiFault?: boolean;
  /**
   * A miss whose fan-out the vendor failed (by default `cache: 'miss'`, `vendor: 'timeout'`) with no stale
   * copy to answer: parcel-api answers 502 (a 5xx is a fault on its segment, as the X-Ray SDK records it),
   * and so does the gateway.
   */
  fanoutFailed?: boolean;
  /** DynamoDB GetItem was throttled (parcel-api handled it). */
  dynamoThrottle?: boolean;
  /** parcel-api answers 404 for an unknown parcel. */
  notFound?: boolean;
  user?: string;
  /** The vendor leg's warehouse-query segment was sent in progress and never completed. */
  inProgress?: boolean;
  /** Seconds parcel-api spends after its cache read (stretches responsetime). */
  apiExtra?: number;
  /**
   * Send parcel-api's subsegments (DynamoDB GetItem; StartSyncExecution on a miss) as separate
   * `type: "subsegment"` documents, as the SDK streams closed subsegments.
   */
  streamSubsegments?: boolean;
}

export const DEFAULT_TRACE_ID = '1-6920b000-a1b2c3d4e5f60718293a4b5c';

export function parcelTraceDocuments(options: ParcelTraceOptions = {}): SegmentDoc[] {
  let counter = 0;
  const id = (): string => (++counter).toString(16).padStart(16, '0');
  const t0 =
    options.secondsAgo === undefined
      ? (options.start ?? 1_763_750_000)
      : Date.now() / 1000 - options.secondsAgo;
  const traceId =
    options.traceId ?? (options.secondsAgo === undefined ? DEFAULT_TRACE_ID : newTraceId(t0 * 1000));
  const parcelId = options.parcelId ?? 'RR123456785GB';
  // A failed fan-out is a miss's (parcel-route annotates it so); otherwise the common case, a hit.
  const cache = options.cache ?? (options.fanoutFailed ? 'miss' : 'hit');
  const vendor = options.vendor ?? (options.fanoutFailed ? 'timeout' : 'ok');
  const url = `https://127.0.0.1:3000/parcels/${parcelId}`;
  const miss = cache !== 'hit';
  if (options.fanoutFailed && !miss) throw new Error('fanoutFailed needs a cache miss: a hit has no fan-out');
  const status = options.apiFault ? 500 : options.fanoutFailed ? 502 : options.notFound ? 404 : 200;
  const docs: SegmentDoc[] = [];

  const gateway = (
    parent: string | undefined,
    path: string,
    start: number,
    end: number,
    code: number,
  ): SegmentDoc => ({
    id: id(),
    trace_id: traceId,
    ...(parent === undefined ? {} : { parent_id: parent }),
    name: 'parcel-api/local',
    origin: 'AWS::ApiGateway::Stage',
    start_time: start,
    end_time: end,
    http: {
      request: {
        method: 'GET',
        url: `https://127.0.0.1:3000${path}`,
        user_agent: 'curl/8.5.0',
        client_ip: '127.0.0.1',
      },
      response: { status: code },
    },
    ...(code >= 500 ? { fault: true } : code >= 400 ? { error: true } : {}),
  });

  const fanoutTime = miss ? 0.35 : 0;
  const apiStart = t0 + 0.002;
  const dynamoEnd = apiStart + 0.012;
  const apiEnd = dynamoEnd + fanoutTime + 0.004 + (options.apiExtra ?? 0);
  const edge = gateway(undefined, `/parcels/${parcelId}`, t0, apiEnd + 0.002, status);
  docs.push(edge);

  const dynamo: SubsegmentDoc = {
    id: id(),
    name: 'DynamoDB',
    namespace: 'aws',
    start_time: apiStart + 0.001,
    end_time: dynamoEnd,
    aws: { operation: 'GetItem', table_name: 'parcels', region: 'eu-west-2', retries: 0 },
    http: { response: { status: options.dynamoThrottle ? 400 : 200 } },
    ...(options.dynamoThrottle ? { error: true, throttle: true } : {}),
  };
  const api: SegmentDoc = {
    id: id(),
    trace_id: traceId,
    parent_id: edge.id,
    name: 'parcel-api',
    origin: 'AWS::ECS::Container',
    start_time: apiStart,
    end_time: apiEnd,
    http: { request: { method: 'GET', url, client_ip: '127.0.0.1' }, response: { status } },
    annotations: { parcel_id: parcelId, cache },
    subsegments: options.streamSubsegments ? [] : [dynamo],
    ...(status >= 500 ? { fault: true } : status >= 400 ? { error: true } : {}),
    ...(options.user === undefined ? {} : { user: options.user }),
  };
  docs.push(api);
  if (options.streamSubsegments)
    docs.push({ ...dynamo, type: 'subsegment', trace_id: traceId, parent_id: api.id });
  if (!miss) return docs;

  const sfnStart = dynamoEnd + 0.001;
  const sfn: SubsegmentDoc = {
    id: id(),
    name: 'SFN',
    namespace: 'aws',
    start_time: sfnStart,
    end_time: sfnStart + fanoutTime,
    aws: { operation: 'StartSyncExecution', region: 'eu-west-2' },
    http: { response: { status: 200 } },
  };
  if (options.streamSubsegments)
    docs.push({ ...sfn, type: 'subsegment', trace_id: traceId, parent_id: api.id });
  else api.subsegments?.push(sfn);

  const fanoutStart = sfnStart + 0.005;
  const leg = (name: string, path: string, start: number, length: number): SubsegmentDoc => ({
    id: id(),
    name,
    namespace: 'remote',
    start_time: start,
    end_time: start + length,
    http: { request: { method: 'GET', url: `https://127.0.0.1:3000${path}` }, response: { status: 200 } },
  });
  const warehouseLeg = leg('warehouse', `/internal/warehouse/${parcelId}`, fanoutStart + 0.001, 0.05);
  const vendorLeg = leg('vendor', `/internal/vendor/${parcelId}`, fanoutStart + 0.001, 0.3);
  const put: SubsegmentDoc = {
    id: id(),
    name: 'DynamoDB',
    namespace: 'aws',
    start_time: fanoutStart + 0.31,
    end_time: fanoutStart + 0.33,
    aws: { operation: 'PutItem', table_name: 'parcels' },
  };
  const fanout: SegmentDoc = {
    id: id(),
    trace_id: traceId,
    parent_id: sfn.id,
    name: 'parcel-fanout',
    origin: 'AWS::StepFunctions::StateMachine',
    start_time: fanoutStart,
    end_time: fanoutStart + 0.34,
    subsegments: [warehouseLeg, vendorLeg, put],
  };
  docs.push(fanout);

  const warehouseGateway = gateway(
    warehouseLeg.id,
    `/internal/warehouse/${parcelId}`,
    warehouseLeg.start_time + 0.001,
    warehouseLeg.start_time + 0.049,
    200,
  );
  const warehouse: SegmentDoc = {
    id: id(),
    trace_id: traceId,
    parent_id: warehouseGateway.id,
    name: 'warehouse-query',
    origin: 'AWS::ECS::Container',
    start_time: warehouseGateway.start_time + 0.001,
    end_time: warehouseGateway.start_time + 0.047,
    http: {
      request: { method: 'GET', url: `http://127.0.0.1:3002/internal/warehouse/${parcelId}` },
      response: { status: 200 },
    },
    annotations: { parcel_id: parcelId },
    subsegments: [
      {
        id: id(),
        name: 'parcels@127.0.0.1',
        namespace: 'remote',
        start_time: warehouseGateway.start_time + 0.002,
        end_time: warehouseGateway.start_time + 0.04,
        sql: { database_type: 'PostgreSQL', sanitized_query: 'SELECT * FROM parcels WHERE id = $1' },
      },
    ],
  };
  docs.push(warehouseGateway, warehouse);

  const vendorStatus = vendor === 'timeout' ? 504 : vendor === 'not_found' ? 404 : 200;
  const vendorGateway = gateway(
    vendorLeg.id,
    `/internal/vendor/${parcelId}`,
    vendorLeg.start_time + 0.001,
    vendorLeg.start_time + 0.299,
    vendorStatus,
  );
  const vendorCall: SubsegmentDoc = {
    id: id(),
    name: 'vendor.localhost',
    namespace: 'remote',
    start_time: vendorGateway.start_time + 0.002,
    end_time: vendorGateway.start_time + (vendor === 'timeout' ? 0.402 : 0.08),
    http: {
      request: { method: 'GET', url: `https://vendor.localhost:8443/v1/parcels/${parcelId}` },
      ...(vendor === 'timeout' ? {} : { response: { status: vendorStatus } }),
    },
    ...(vendor === 'timeout'
      ? {
          fault: true,
          cause: { exceptions: [{ id: id(), message: 'vendor timeout after 400 ms', type: 'TimeoutError' }] },
        }
      : vendor === 'not_found'
        ? { error: true }
        : {}),
  };
  const vendorService: SegmentDoc = {
    id: id(),
    trace_id: traceId,
    parent_id: vendorGateway.id,
    name: 'warehouse-query',
    origin: 'AWS::ECS::Container',
    start_time: vendorGateway.start_time + 0.001,
    ...(options.inProgress ? { in_progress: true } : { end_time: vendorGateway.start_time + 0.297 }),
    http: {
      request: { method: 'GET', url: `http://127.0.0.1:3002/internal/vendor/${parcelId}` },
      response: { status: vendorStatus },
    },
    annotations: { parcel_id: parcelId, vendor_status: vendor === 'ok' ? 'IN_TRANSIT' : 'UNKNOWN' },
    subsegments: [vendorCall],
    ...(vendorStatus >= 500 ? { fault: true } : vendorStatus >= 400 ? { error: true } : {}),
  };
  docs.push(vendorGateway, vendorService);
  return docs;
}

/** A parcel trace's documents with the ids a test looks its pieces up by. */
export interface ParcelTrace {
  traceId: string;
  docs: SegmentDoc[];
  /** The gateway stage's segment that received the request. */
  edgeId: string;
  apiId: string;
  /** parcel-api's StartSyncExecution subsegment (on a miss), embedded or streamed. */
  sfnSubsegmentId: string | undefined;
}

export function parcelTrace(options: ParcelTraceOptions = {}): ParcelTrace {
  const docs = parcelTraceDocuments(options);
  const [edge] = docs;
  const api = docs.find((doc) => doc.name === 'parcel-api' && doc.type !== 'subsegment');
  if (edge === undefined || api === undefined)
    throw new Error('a parcel trace starts at the gateway and parcel-api');
  const isSfn = (doc: { aws?: Record<string, unknown> }) => doc.aws?.operation === 'StartSyncExecution';
  const sfn = docs.find(isSfn) ?? api.subsegments?.find(isSfn);
  return { traceId: edge.trace_id, docs, edgeId: edge.id, apiId: api.id, sfnSubsegmentId: sfn?.id };
}
