import { type KeepReason, type KeepStats, keepReason, TRACE_KEPT_ANNOTATION } from '@parcel/sampling-rules';
import type { StateMachineDefinition } from '@parcel/state-machine';
import {
  type DaemonClient,
  formatTraceHeader,
  parseTraceHeader,
  type SegmentDoc,
} from '@parcel/xray-protocol';
import { type ExecutionEnv, runStates, type TaskHandler } from './interpreter';
import { asStatesError, StatesError } from './states-error';
import { failureKind, pathNeedsKeeping, TraceSpan } from './trace-span';

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
  /** Set when an unsampled execution kept its segment (keep-on-error); StartSyncExecution answers it. */
  kept?: KeepReason;
}

/** Keep-on-error settings: the latency threshold (`TRACE_KEEP_SLOW_MS`, 0 = off) and the counters. */
export interface KeepSettings {
  slowMs: number;
  stats?: KeepStats;
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
  emitter?: DaemonClient;
  sleep?: ExecutionEnv['sleep'];
  keep?: KeepSettings;
}

export const EXECUTION_ORIGIN = 'AWS::StepFunctions::StateMachine';

/**
 * Runs one execution to its end and reports it as DescribeExecution does. The execution is a segment named
 * after the state machine, parented to the caller's Parent, with a subsegment per state, per branch and per
 * downstream call; each call carries `Parent=<its subsegment id>` with the caller's Sampled flag unchanged
 * (the decision is the edge's). When Sampled=1 the segment is sent; otherwise it is built in memory and
 * sent only when keep-on-error says so (failed execution, slow, a faulted or kept downstream call).
 */
export async function execute(opts: ExecuteOptions, record: ExecutionRecord): Promise<ExecutionRecord> {
  const header = parseTraceHeader(opts.traceHeader);
  const sampled = header?.sampled === '1';
  const root = new TraceSpan(opts.stateMachineName);
  const traceHeaderFor = (span: TraceSpan): string | undefined => {
    if (!header) return undefined;
    return formatTraceHeader({ ...header, parent: span.id });
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

  if (!header || !opts.emitter) return record;
  if (sampled) opts.keep?.stats?.sampled();
  else {
    const below = pathNeedsKeeping(root);
    record.kept = keepReason({
      // A failed execution is this hop's 5xx: the caller gets no answer it can use.
      status: record.status === 'SUCCEEDED' ? 200 : 500,
      durationMs: record.stopDate.getTime() - record.startDate.getTime(),
      slowMs: opts.keep?.slowMs ?? 0,
      downstreamFailed: below.failed,
      downstreamKept: below.kept,
    });
    opts.keep?.stats?.unsampled(record.kept);
    if (!record.kept) return record;
  }
  const segment: SegmentDoc = {
    ...root.toDoc(),
    trace_id: header.root,
    origin: EXECUTION_ORIGIN,
    aws: { execution_arn: opts.executionArn, state_machine_arn: opts.stateMachineArn },
    annotations: {
      execution_status: record.status,
      ...(record.kept ? { [TRACE_KEPT_ANNOTATION]: record.kept } : {}),
    },
  };
  if (header.parent) segment.parent_id = header.parent;
  opts.emitter.send(segment);
  return record;
}
