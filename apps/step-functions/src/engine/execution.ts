import type { StateMachineDefinition } from '@parcel/state-machine';
import { formatTraceHeader, parseTraceHeader, type SegmentDoc } from '@parcel/xray-protocol';
import { type ExecutionEnv, runStates, type TaskHandler } from './interpreter';
import type { SegmentEmitter } from './segment-emitter';
import { asStatesError, StatesError } from './states-error';
import { failureKind, TraceSpan } from './trace-span';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  traceHeader?: string;
}

export interface ExecuteOptions {
  definition: StateMachineDefinition;
  stateMachineName: string;
  stateMachineArn: string;
  roleArn: string;
  executionArn: string;
  name: string;
  /** The raw input text (already checked to be JSON). */
  input: string;
  traceHeader?: string;
  tasks: ReadonlyMap<string, TaskHandler>;
  emitter?: SegmentEmitter;
  sleep?: ExecutionEnv['sleep'];
}

export const EXECUTION_ORIGIN = 'AWS::StepFunctions::StateMachine';

/**
 * Runs one execution to its end and reports it as DescribeExecution does. When the caller's trace header
 * says Sampled=1, the execution is a segment named after the state machine, parented to the caller's
 * Parent, with a subsegment per state, per branch and per downstream call; otherwise nothing is recorded
 * and the header is carried on as it came.
 */
export async function execute(opts: ExecuteOptions, record: ExecutionRecord): Promise<ExecutionRecord> {
  const header = parseTraceHeader(opts.traceHeader);
  const sampled = header?.sampled === '1';
  const root = new TraceSpan(opts.stateMachineName);
  const traceHeaderFor = (span: TraceSpan): string | undefined => {
    if (!header) return undefined;
    if (!sampled) return opts.traceHeader;
    return formatTraceHeader({ root: header.root, parent: span.id, sampled: '1', extra: header.extra });
  };

  const controller = new AbortController();
  const timeoutSeconds = opts.definition.TimeoutSeconds;
  const timer =
    timeoutSeconds !== undefined
      ? setTimeout(
          () =>
            controller.abort(
              new StatesError('States.Timeout', `Execution timed out after ${timeoutSeconds} seconds`),
            ),
          timeoutSeconds * 1000,
        )
      : undefined;
  const env: ExecutionEnv = {
    context: {
      Execution: {
        Id: opts.executionArn,
        Input: JSON.parse(opts.input),
        Name: opts.name,
        RoleArn: opts.roleArn,
        StartTime: record.startDate.toISOString(),
      },
      StateMachine: { Id: opts.stateMachineArn, Name: opts.stateMachineName },
    },
    tasks: opts.tasks,
    signal: controller.signal,
    traceHeaderFor,
    sleep: opts.sleep,
  };

  const run = runStates(opts.definition, JSON.parse(opts.input), env, root);
  // The execution timeout wins even over a state that ignores the abort.
  const timedOut = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  try {
    const output = await Promise.race([run, timedOut]);
    record.status = 'SUCCEEDED';
    record.output = JSON.stringify(output);
  } catch (err) {
    const se = asStatesError(err);
    record.status = se.error === 'States.Timeout' && controller.signal.aborted ? 'TIMED_OUT' : 'FAILED';
    record.error = se.error;
    record.cause = se.causeText;
    root.fail(failureKind(se.error), se.error, se.causeText);
  } finally {
    clearTimeout(timer);
    run.catch(() => {}); // settled above or abandoned after a timeout
  }
  record.stopDate = new Date();
  root.close();

  if (sampled && header && opts.emitter) {
    const segment: SegmentDoc = {
      ...root.toDoc(),
      trace_id: header.root,
      origin: EXECUTION_ORIGIN,
      aws: { execution_arn: opts.executionArn, state_machine_arn: opts.stateMachineArn },
      annotations: { execution_status: record.status },
    };
    if (header.parent) segment.parent_id = header.parent;
    opts.emitter.emit(segment);
  }
  return record;
}
