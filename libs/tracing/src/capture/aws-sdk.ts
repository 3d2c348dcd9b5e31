import { currentStore } from '../context';
import { TRACE_HEADER_NAME, traceHeaderIn } from '../propagation';
import type { AwsClientLike, AwsFields, Span } from '../span';
import { markResponseStatus } from './response-status';

export const AWS_CAPTURE_MIDDLEWARE = 'ParcelXrayAws';

interface AwsContext {
  clientName?: string;
  commandName?: string;
}
interface BuildArgs {
  input?: Record<string, unknown>;
  request?: { headers?: Record<string, string> };
}
interface Metadata {
  requestId?: string;
  extendedRequestId?: string;
  httpStatusCode?: number;
  attempts?: number;
}
interface Result {
  output?: { $metadata?: Metadata; status?: string };
  response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}
interface AwsError extends Error {
  $metadata?: Metadata;
  $response?: { headers?: Record<string, string | undefined> };
  $retryable?: { throttling?: boolean };
}

// Request parameters recorded as `aws.*` fields, as the X-Ray SDK's whitelist does for these services.
const PARAMS: [string, 'table_name' | 'queue_url' | 'state_machine_arn' | 'function_name'][] = [
  ['TableName', 'table_name'],
  ['QueueUrl', 'queue_url'],
  ['stateMachineArn', 'state_machine_arn'],
  ['FunctionName', 'function_name'],
];
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

function awsFields(
  operation: string,
  region: string | undefined,
  input: Record<string, unknown> | undefined,
  meta: Metadata | undefined,
): AwsFields {
  const aws: AwsFields = { operation, retries: 0 };
  if (region) aws.region = region;
  if (meta?.requestId) aws.request_id = meta.requestId;
  if (meta?.extendedRequestId) aws.id_2 = meta.extendedRequestId;
  aws.retries = Math.max(0, (meta?.attempts ?? 1) - 1);
  if (input) {
    for (const [param, field] of PARAMS) {
      const value = input[param];
      if (typeof value === 'string') aws[field] = value;
    }
  }
  return aws;
}

/**
 * What an AWS call tells keep-on-error: a failed call, or a Step Functions execution that did not succeed,
 * is a failure on the request's path; a response that says `X-Trace-Kept` was kept downstream.
 */
function noteKeepSignals(
  span: Span,
  operation: string,
  outcome: { result?: Result; error?: AwsError },
): void {
  const headers = outcome.error ? outcome.error.$response?.headers : outcome.result?.response?.headers;
  if (headers?.['x-trace-kept']) span.noteDownstreamKept();
  if (
    outcome.error ||
    (operation === 'StartSyncExecution' && outcome.result?.output?.status !== 'SUCCEEDED')
  ) {
    span.noteDownstreamFailure();
  }
}

/**
 * Keep-on-error signals of every call of a client whose subsegments another instrumentation records (the
 * stock SDK's `captureAWSv3Client`): runs inside `afterMiddleware`, notes on the request's open span.
 */
export function captureAwsKeepSignals(client: AwsClientLike, afterMiddleware: string): void {
  const name = 'ParcelKeepSignals';
  client.middlewareStack.remove(name);
  client.middlewareStack.addRelativeTo(
    (next: (args: BuildArgs) => Promise<Result>, context: AwsContext) =>
      async (args: BuildArgs): Promise<Result> => {
        const span = currentStore()?.span;
        if (span?.id === undefined) return next(args);
        const operation = (context.commandName ?? 'Command').replace(/Command$/, '');
        try {
          const result = await next(args);
          noteKeepSignals(span, operation, { result });
          return result;
        } catch (err) {
          noteKeepSignals(span, operation, { error: err as AwsError });
          throw err;
        }
      },
    { relation: 'after', toMiddleware: afterMiddleware, name },
  );
}

/**
 * One `aws` subsegment per SDK call (all attempts), as the X-Ray SDK's `captureAWSv3Client` records it,
 * without its per-call overhead: the header is written here (Parent = this subsegment), the fields are
 * filled from the response metadata. A failed call, or a Step Functions execution that did not succeed,
 * is a failure on the request's path; a response that says `X-Trace-Kept` was kept downstream.
 */
export function captureAwsClient(client: AwsClientLike): string {
  const config = (client as unknown as { config?: { region?: () => Promise<string> | string } }).config;
  let region: string | undefined;
  const regionOf = async (): Promise<string | undefined> => {
    if (region !== undefined) return region;
    try {
      const r = config?.region;
      region = typeof r === 'function' ? await r() : r;
    } catch {
      region = undefined;
    }
    return region;
  };
  client.middlewareStack.remove(AWS_CAPTURE_MIDDLEWARE);
  client.middlewareStack.add(
    (next: (args: BuildArgs) => Promise<Result>, context: AwsContext) =>
      async (args: BuildArgs): Promise<Result> => {
        const store = currentStore();
        const parent = store?.span;
        if (!store || parent?.id === undefined) return next(args);
        const service = (context.clientName ?? 'AWSClient').replace(/Client$/, '');
        const operation = (context.commandName ?? 'Command').replace(/Command$/, '');
        const sub = parent.startChild(service, 'aws');
        const headers = args.request?.headers;
        if (headers) headers[TRACE_HEADER_NAME] = traceHeaderIn(store, sub.id ?? parent.id);
        let result: Result;
        try {
          // The SDK's HTTP call carries the header written above: the http capture leaves it alone.
          result = await next(args);
        } catch (e) {
          const err = e as AwsError;
          const meta = err.$metadata;
          sub.setAws(awsFields(operation, region ?? (await regionOf()), args.input, meta));
          const status = meta?.httpStatusCode;
          if (status) sub.setHttp({ response: { status } });
          if (err.$retryable?.throttling || THROTTLING.has(err.name) || status === 429) sub.markThrottle();
          if (status !== undefined && status >= 400 && status < 500) sub.markError();
          noteKeepSignals(sub, operation, { error: err });
          sub.recordException(err, { remote: true, asError: status !== undefined && status < 500 });
          sub.end();
          throw err;
        }
        const meta = result.output?.$metadata;
        sub.setAws(awsFields(operation, region ?? (await regionOf()), args.input, meta));
        const status = result.response?.statusCode ?? meta?.httpStatusCode;
        const length = result.response?.headers?.['content-length'];
        if (status) {
          sub.setHttp({
            response: length !== undefined ? { status, content_length: Number(length) } : { status },
          });
          markResponseStatus(sub, status);
        }
        noteKeepSignals(sub, operation, { result });
        sub.end();
        return result;
      },
    { step: 'build', name: AWS_CAPTURE_MIDDLEWARE },
  );
  return AWS_CAPTURE_MIDDLEWARE;
}
