import { TRACE_KEPT_HEADER } from '@parcel/sampling-rules';
import type { StepFunctionsService } from '../service';
import { SfnApiError } from './errors';
import { RESPONSE_HEADERS } from './response-headers';

type Body = Record<string, unknown>;
export type Operation = (service: StepFunctionsService, body: Body) => Promise<unknown> | unknown;

const epochSeconds = (d: Date | undefined) => (d ? d.getTime() / 1000 : undefined);

function optionalString(body: Body, key: string, max: number): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) {
    throw new SfnApiError(
      'ValidationException',
      `1 validation error detected: Value at '${key}' failed to satisfy constraint`,
    );
  }
  return v;
}

function requiredString(body: Body, key: string, max: number): string {
  const v = optionalString(body, key, max);
  if (v === undefined) {
    throw new SfnApiError(
      'ValidationException',
      `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return v;
}

function startRequest(body: Body) {
  return {
    stateMachineArn: requiredString(body, 'stateMachineArn', 256),
    name: optionalString(body, 'name', 80),
    input: optionalString(body, 'input', 262_144),
    traceHeader: optionalString(body, 'traceHeader', 256),
  };
}

/** The Step Functions API operations this emulator serves, by X-Amz-Target operation name. */
export const OPERATIONS: Record<string, Operation> = {
  async StartSyncExecution(service, body) {
    const r = await service.startSyncExecution(startRequest(body));
    const billedMs = Math.max(
      100,
      Math.ceil(((r.stopDate?.getTime() ?? 0) - r.startDate.getTime()) / 100) * 100,
    );
    return {
      executionArn: r.executionArn,
      stateMachineArn: r.stateMachineArn,
      name: r.name,
      startDate: epochSeconds(r.startDate),
      stopDate: epochSeconds(r.stopDate),
      status: r.status,
      error: r.error,
      cause: r.cause,
      input: r.input,
      inputDetails: { included: true },
      output: r.output,
      outputDetails: r.output !== undefined ? { included: true } : undefined,
      traceHeader: r.traceHeader,
      billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: billedMs },
      // Keep-on-error: the caller (parcel-api) keeps its own segment when the execution kept its own.
      ...(r.kept ? { [RESPONSE_HEADERS]: { [TRACE_KEPT_HEADER]: r.kept } } : {}),
    };
  },

  StartExecution(service, body) {
    const r = service.startExecution(startRequest(body));
    return { executionArn: r.executionArn, startDate: epochSeconds(r.startDate) };
  },

  DescribeExecution(service, body) {
    const r = service.describeExecution(requiredString(body, 'executionArn', 256));
    return {
      executionArn: r.executionArn,
      stateMachineArn: r.stateMachineArn,
      name: r.name,
      status: r.status,
      startDate: epochSeconds(r.startDate),
      stopDate: epochSeconds(r.stopDate),
      input: r.input,
      inputDetails: { included: true },
      output: r.output,
      outputDetails: r.output !== undefined ? { included: true } : undefined,
      error: r.error,
      cause: r.cause,
      traceHeader: r.traceHeader,
    };
  },

  ListStateMachines(service, body) {
    const max =
      typeof body.maxResults === 'number' && body.maxResults > 0 ? Math.min(body.maxResults, 1000) : 100;
    const start = typeof body.nextToken === 'string' ? Number.parseInt(body.nextToken, 10) || 0 : 0;
    const all = service.registry.list();
    const page = all.slice(start, start + max);
    return {
      stateMachines: page.map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: m.type,
        creationDate: epochSeconds(m.creationDate),
      })),
      nextToken: start + max < all.length ? String(start + max) : undefined,
    };
  },

  DescribeStateMachine(service, body) {
    const m = service.stateMachine(requiredString(body, 'stateMachineArn', 256));
    return {
      stateMachineArn: m.arn,
      name: m.name,
      status: 'ACTIVE',
      definition: JSON.stringify(m.definition, null, 2),
      roleArn: m.roleArn,
      type: m.type,
      creationDate: epochSeconds(m.creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: m.tracingEnabled },
    };
  },
};

/** The operation an `X-Amz-Target` names: own operations only, never a property inherited from Object. */
export function operationNamed(name: string): Operation | undefined {
  return Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
}
