import { CACHE_TTL_ATTRIBUTE } from '@parcel/contract';
import type { Catcher, Retrier, StateMachineDefinition, TaskState } from './asl';

/** The state machine's name, in AWS and locally (its ARN ends in `stateMachine:parcel-fanout`). */
export const PARCEL_FANOUT_NAME = 'parcel-fanout';

export const API_GATEWAY_INVOKE = 'arn:aws:states:::apigateway:invoke';
export const DYNAMODB_PUT_ITEM = 'arn:aws:states:::dynamodb:putItem';

export interface ParcelFanoutOptions {
  /** The execute-api host (`{api-id}.execute-api.{region}.amazonaws.com`), or the local gateway's host:port. */
  apiEndpoint: string;
  /** The API Gateway stage the internal routes are deployed to. */
  stage: string;
  /** The DynamoDB cache table (cache item: libs/contract/src/cache-item.ts). */
  tableName: string;
  /** IAM_ROLE (default): the internal routes are IAM-authorised and the calls SigV4-signed. */
  authType?: 'IAM_ROLE' | 'NO_AUTH';
  /**
   * Per-call timeout of the internal API calls (default 5 s): the warehouse call with its retries and
   * their backoff must end inside API Gateway's 29 s integration timeout, or the front door answers 504
   * while the fan-out still runs (10 s × 3 attempts did not fit).
   */
  apiTimeoutSeconds?: number;
}

/** State names, exported so tests, infra and the trace reader refer to them without retyping. */
export const FANOUT_STATES = {
  fetchParts: 'FetchParts',
  getWarehouse: 'GetWarehouse',
  warehouseUnknown: 'WarehouseUnknown',
  getVendor: 'GetVendor',
  vendorNotFound: 'VendorNotFound',
  vendorTimeout: 'VendorTimeout',
  vendorError: 'VendorError',
  merge: 'MergeParts',
  isKnown: 'IsKnownParcel',
  unknownParcel: 'UnknownParcel',
  isVendorDegraded: 'IsVendorDegraded',
  degradedNotCached: 'DegradedNotCached',
  cacheParcel: 'CacheParcel',
  cacheWriteFailed: 'CacheWriteFailed',
} as const;

// Client errors are answers, not accidents: retrying them only adds latency.
const CLIENT_ERRORS = ['ApiGateway.400', 'ApiGateway.401', 'ApiGateway.403', 'ApiGateway.404'];

/**
 * The parcel-fanout EXPRESS state machine (docs/architecture.md, "The request path"): fetch the warehouse
 * and vendor parts in parallel through the API Gateway's IAM-authorised internal routes, merge them into a
 * `MergedParcel`, cache known parcels in DynamoDB, and output the merged parcel.
 *
 * - warehouse 404 → `warehouse: null`; other warehouse failures are retried, then fail the execution
 *   (the API answers 5xx: a parcel without its warehouse part is not an answer).
 * - vendor 404 → `not_found`, 504 → `timeout`, anything else → `error`; the warehouse part still returns.
 * - both parts null → the parcel is unknown: output it without caching (nothing to cache but a 404).
 * - vendor `timeout` or `error` → output the merged parcel without caching it: a degraded answer must not
 *   overwrite a good cache entry, which parcel-api serves instead (stale, marked so) when it has one.
 * - a failed cache write is caught: the caller still gets its parcel, the trace shows the fault.
 */
export function buildParcelFanoutDefinition(opts: ParcelFanoutOptions): StateMachineDefinition {
  const s = FANOUT_STATES;
  const invoke = (path: string, resultSelector: TaskState['ResultSelector']): TaskState => ({
    Type: 'Task',
    Resource: API_GATEWAY_INVOKE,
    Parameters: {
      ApiEndpoint: opts.apiEndpoint,
      Method: 'GET',
      Stage: opts.stage,
      'Path.$': `States.Format('${path}/{}', $.parcelId)`,
      AuthType: opts.authType ?? 'IAM_ROLE',
    },
    ResultSelector: resultSelector,
    TimeoutSeconds: opts.apiTimeoutSeconds ?? 5,
    End: true,
  });
  const warehouseRetry: Retrier[] = [
    { ErrorEquals: CLIENT_ERRORS, MaxAttempts: 0 },
    {
      ErrorEquals: ['States.ALL'],
      IntervalSeconds: 1,
      MaxAttempts: 2,
      BackoffRate: 2,
      JitterStrategy: 'FULL',
    },
  ];
  const warehouseCatch: Catcher[] = [
    { ErrorEquals: ['ApiGateway.404'], ResultPath: null, Next: s.warehouseUnknown },
  ];
  // No retry on the vendor: warehouse-query already bounds it with a hard timeout, and a retry would double
  // the tail latency the fan-out exists to protect.
  const vendorCatch: Catcher[] = [
    { ErrorEquals: ['ApiGateway.404'], ResultPath: null, Next: s.vendorNotFound },
    { ErrorEquals: ['ApiGateway.504', 'States.Timeout'], ResultPath: null, Next: s.vendorTimeout },
    { ErrorEquals: ['States.ALL'], ResultPath: null, Next: s.vendorError },
  ];

  return {
    Comment: 'parcel-fanout: warehouse and vendor parts in parallel, merged, cached (libs/state-machine)',
    QueryLanguage: 'JSONPath',
    StartAt: s.fetchParts,
    TimeoutSeconds: 30,
    States: {
      [s.fetchParts]: {
        Type: 'Parallel',
        Branches: [
          {
            StartAt: s.getWarehouse,
            States: {
              [s.getWarehouse]: {
                ...invoke('/internal/warehouse', { 'warehouse.$': '$.ResponseBody' }),
                Retry: warehouseRetry,
                Catch: warehouseCatch,
              },
              [s.warehouseUnknown]: { Type: 'Pass', Result: { warehouse: null }, End: true },
            },
          },
          {
            StartAt: s.getVendor,
            States: {
              [s.getVendor]: {
                ...invoke('/internal/vendor', { 'vendor.$': '$.ResponseBody', vendorStatus: 'ok' }),
                Catch: vendorCatch,
              },
              [s.vendorNotFound]: {
                Type: 'Pass',
                Result: { vendor: null, vendorStatus: 'not_found' },
                End: true,
              },
              [s.vendorTimeout]: {
                Type: 'Pass',
                Result: { vendor: null, vendorStatus: 'timeout' },
                End: true,
              },
              [s.vendorError]: { Type: 'Pass', Result: { vendor: null, vendorStatus: 'error' }, End: true },
            },
          },
        ],
        Next: s.merge,
      },
      [s.merge]: {
        Type: 'Pass',
        Comment: 'The MergedParcel (libs/contract/src/parcel.ts), field for field.',
        Parameters: {
          'parcelId.$': '$$.Execution.Input.parcelId',
          'warehouse.$': '$[0].warehouse',
          'vendor.$': '$[1].vendor',
          'vendorStatus.$': '$[1].vendorStatus',
          'fetchedAt.$': '$$.State.EnteredTime',
        },
        Next: s.isKnown,
      },
      [s.isKnown]: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.warehouse', IsNull: true },
              { Variable: '$.vendor', IsNull: true },
            ],
            Next: s.unknownParcel,
          },
        ],
        Default: s.isVendorDegraded,
      },
      [s.unknownParcel]: {
        Type: 'Succeed',
        Comment: 'Neither side knows the parcel: answer without caching it.',
      },
      [s.isVendorDegraded]: {
        Type: 'Choice',
        Choices: [
          {
            Or: [
              { Variable: '$.vendorStatus', StringEquals: 'timeout' },
              { Variable: '$.vendorStatus', StringEquals: 'error' },
            ],
            Next: s.degradedNotCached,
          },
        ],
        Default: s.cacheParcel,
      },
      [s.degradedNotCached]: {
        Type: 'Succeed',
        Comment: 'The vendor timed out or failed: answer, but keep the cached copy (if any) as it is.',
      },
      [s.cacheParcel]: {
        Type: 'Task',
        Resource: DYNAMODB_PUT_ITEM,
        Comment: 'The cache item of libs/contract/src/cache-item.ts.',
        Parameters: {
          TableName: opts.tableName,
          Item: {
            parcelId: { 'S.$': '$.parcelId' },
            parcel: { 'S.$': 'States.JsonToString($)' },
            fetchedAt: { 'S.$': '$.fetchedAt' },
            // The caller's retention setting, as the table's TTL attribute (a DynamoDB number is a string).
            [CACHE_TTL_ATTRIBUTE]: { 'N.$': "States.Format('{}', $$.Execution.Input.expiresAt)" },
          },
        },
        ResultPath: null,
        Retry: [
          {
            ErrorEquals: [
              'DynamoDB.ProvisionedThroughputExceededException',
              'DynamoDB.ThrottlingException',
              'DynamoDB.InternalServerErrorException',
            ],
            IntervalSeconds: 1,
            MaxAttempts: 1,
            JitterStrategy: 'FULL',
          },
        ],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: s.cacheWriteFailed }],
        End: true,
      },
      [s.cacheWriteFailed]: {
        Type: 'Pass',
        Comment: 'A cache that cannot be written costs a future miss, not this answer.',
        End: true,
      },
    },
  };
}
