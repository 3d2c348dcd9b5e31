import {
  type DynamoDBClient,
  DynamoDBServiceException,
  PutItemCommand,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { TaskHandler } from '../engine/interpreter';
import { runtimeError, StatesError } from '../engine/states-error';

export interface DynamoDbPutItemOptions {
  client: DynamoDBClient;
  region: string;
}

/**
 * `arn:aws:states:::dynamodb:putItem`: the Parameters are the PutItem request, sent with the real DynamoDB
 * client. Service errors fail the task as `DynamoDB.<ExceptionName>` with the AWS SDK-style cause the real
 * integration reports; the call is an `aws` subsegment (operation, table, request id) of the Task state.
 */
export function dynamoDbPutItem(opts: DynamoDbPutItemOptions): TaskHandler {
  return async ({ parameters, span, signal }) => {
    if (parameters === null || typeof parameters !== 'object')
      throw runtimeError('dynamodb:putItem needs Parameters');
    const input = parameters as PutItemCommandInput;
    if (typeof input.TableName !== 'string' || typeof input.Item !== 'object') {
      throw runtimeError('dynamodb:putItem: TableName and Item are required');
    }
    const call = span.child('DynamoDB');
    call.namespace = 'aws';
    call.aws = { operation: 'PutItem', region: opts.region, table_name: input.TableName };
    try {
      const out = await opts.client.send(new PutItemCommand(input), { abortSignal: signal });
      const requestId = out.$metadata.requestId;
      call.aws.request_id = requestId;
      call.aws.retries = out.$metadata.attempts ? out.$metadata.attempts - 1 : 0;
      call.http = { response: { status: out.$metadata.httpStatusCode ?? 200 } };
      const { $metadata, ...fields } = out;
      return {
        ...fields,
        SdkHttpMetadata: { HttpStatusCode: $metadata.httpStatusCode ?? 200 },
        SdkResponseMetadata: { RequestId: requestId },
      };
    } catch (err) {
      if (signal.aborted) {
        call.fail('fault', 'Timeout', 'aborted', true);
        throw signal.reason;
      }
      if (err instanceof DynamoDBServiceException) {
        const status = err.$metadata.httpStatusCode ?? 500;
        call.aws.request_id = err.$metadata.requestId;
        call.http = { response: { status } };
        const kind =
          status === 429 || err.name.includes('Throughput') || err.name.includes('Throttl')
            ? 'throttle'
            : status < 500
              ? 'error'
              : 'fault';
        call.fail(kind, err.name, err.message, true);
        throw new StatesError(
          `DynamoDB.${err.name}`,
          `${err.message} (Service: DynamoDb, Status Code: ${status}, Request ID: ${err.$metadata.requestId ?? ''})`,
        );
      }
      const message = err instanceof Error ? err.message : String(err);
      call.fail('fault', err instanceof Error ? err.name : 'Error', message, true);
      throw new StatesError('States.TaskFailed', `dynamodb:putItem: ${message}`);
    } finally {
      call.close();
    }
  };
}
