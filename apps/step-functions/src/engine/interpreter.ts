import type {
  Catcher,
  ChoiceState,
  ParallelState,
  PassState,
  Retrier,
  State,
  StateMachineDefinition,
  TaskState,
} from '@parcel/state-machine';
import { matchesRule } from './choice-rules';
import { selectPath, writeResultPath } from './json-path';
import { applyTemplate } from './payload-template';
import { asStatesError, runtimeError, StatesError } from './states-error';
import { failureKind, type TraceSpan } from './trace-span';

/** What a Task handler gets: its evaluated Parameters, its state's span, and how to carry the trace on. */
export interface TaskInvocation {
  resource: string;
  parameters: unknown;
  /** The Task state's span: a handler records its downstream call as a child of it. */
  span: TraceSpan;
  /** The `X-Amzn-Trace-Id` to send on a call recorded as `span` (undefined: send none). */
  traceHeaderFor(span: TraceSpan): string | undefined;
  signal: AbortSignal;
}

export type TaskHandler = (invocation: TaskInvocation) => Promise<unknown>;

export interface ExecutionEnv {
  /** `$$` without `State`: Execution and StateMachine, as AWS's context object has them. */
  context: Record<string, unknown>;
  tasks: ReadonlyMap<string, TaskHandler>;
  signal: AbortSignal;
  traceHeaderFor(span: TraceSpan): string | undefined;
  /** Waits between retries; injectable so a test can observe backoff without waiting for it. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

interface Outcome {
  output: unknown;
  next?: string;
}

/** Runs a state machine (or a Parallel branch) from StartAt to its end; throws a StatesError on failure. */
export async function runStates(
  def: StateMachineDefinition,
  input: unknown,
  env: ExecutionEnv,
  parentSpan: TraceSpan,
): Promise<unknown> {
  let name = def.StartAt;
  let current = input;
  for (;;) {
    if (env.signal.aborted) throw abortError(env.signal);
    const state = def.States[name];
    if (!state) throw runtimeError(`no state named "${name}"`);
    const span = parentSpan.child(name);
    span.metadata = { type: state.Type };
    let outcome: Outcome;
    try {
      outcome = await runState(name, state, current, env, span);
    } catch (err) {
      const se = asStatesError(err);
      if (!span.error && !span.fault) span.fail(failureKind(se.error), se.error, se.causeText);
      span.close();
      throw se;
    }
    span.close();
    if (outcome.next === undefined) return outcome.output;
    current = outcome.output;
    name = outcome.next;
  }
}

function abortError(signal: AbortSignal): StatesError {
  return signal.reason instanceof StatesError ? signal.reason : new StatesError('States.Timeout', 'aborted');
}

function contextFor(env: ExecutionEnv, name: string, retryCount: number, enteredTime: string) {
  return { ...env.context, State: { Name: name, EnteredTime: enteredTime, RetryCount: retryCount } };
}

async function runState(
  name: string,
  state: State,
  rawInput: unknown,
  env: ExecutionEnv,
  span: TraceSpan,
): Promise<Outcome> {
  const enteredTime = new Date().toISOString();
  const ctx = contextFor(env, name, 0, enteredTime);
  const next = 'End' in state && state.End === true ? undefined : (state as { Next?: string }).Next;
  switch (state.Type) {
    case 'Pass':
      return { output: runPass(state, rawInput, ctx), next };
    case 'Succeed':
      return { output: selectPath(selectPath(rawInput, state.InputPath, ctx), state.OutputPath, ctx) };
    case 'Fail':
      throw new StatesError(state.Error ?? 'States.Fail', state.Cause ?? '');
    case 'Choice':
      return runChoice(state, rawInput, ctx);
    case 'Task':
    case 'Parallel':
      return runWithRetryAndCatch(name, state, rawInput, env, span, enteredTime);
    default:
      throw runtimeError(`unsupported state type ${(state as { Type: string }).Type}`);
  }
}

function runPass(state: PassState, rawInput: unknown, ctx: unknown): unknown {
  const effective = selectPath(rawInput, state.InputPath, ctx);
  const params = state.Parameters
    ? applyTemplate(state.Parameters, { input: effective, context: ctx })
    : effective;
  const result = state.Result !== undefined ? state.Result : params;
  return selectPath(writeResultPath(rawInput, state.ResultPath, result), state.OutputPath, ctx);
}

function runChoice(state: ChoiceState, rawInput: unknown, ctx: unknown): Outcome {
  const effective = selectPath(rawInput, state.InputPath, ctx);
  const output = selectPath(effective, state.OutputPath, ctx);
  for (const rule of state.Choices) {
    if (matchesRule(rule, { input: effective, context: ctx })) return { output, next: rule.Next };
  }
  if (state.Default) return { output, next: state.Default };
  throw new StatesError('States.NoChoiceMatched', 'No Choice rule matched and there is no Default');
}

/** ASL error matching: States.ALL matches all but States.Runtime; States.TaskFailed all but States.Timeout. */
function matches(errorEquals: string[], error: string): boolean {
  if (error === 'States.Runtime') return false;
  return errorEquals.some(
    (e) => e === error || e === 'States.ALL' || (e === 'States.TaskFailed' && error !== 'States.Timeout'),
  );
}

function retryDelayMs(retrier: Retrier, attempt: number): number {
  const base = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
  const capped = retrier.MaxDelaySeconds !== undefined ? Math.min(base, retrier.MaxDelaySeconds) : base;
  const seconds = retrier.JitterStrategy === 'FULL' ? Math.random() * capped : capped;
  return seconds * 1000;
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

async function runWithRetryAndCatch(
  name: string,
  state: TaskState | ParallelState,
  rawInput: unknown,
  env: ExecutionEnv,
  span: TraceSpan,
  enteredTime: string,
): Promise<Outcome> {
  const next = state.End === true ? undefined : state.Next;
  const retryCounts = new Map<Retrier, number>();
  let retryCount = 0;
  for (;;) {
    const ctx = contextFor(env, name, retryCount, enteredTime);
    const effective = selectPath(rawInput, state.InputPath, ctx);
    const params = state.Parameters
      ? applyTemplate(state.Parameters, { input: effective, context: ctx })
      : effective;
    try {
      const result =
        state.Type === 'Task'
          ? await runTask(state, params, env, span)
          : await runParallel(state, params, env, span);
      const selected = state.ResultSelector
        ? applyTemplate(state.ResultSelector, { input: result, context: ctx })
        : result;
      const output = selectPath(writeResultPath(rawInput, state.ResultPath, selected), state.OutputPath, ctx);
      return { output, next };
    } catch (err) {
      const se = asStatesError(err);
      if (se.error === 'States.Runtime' || env.signal.aborted) throw se;
      const retrier = (state.Retry ?? []).find((r) => matches(r.ErrorEquals, se.error));
      const used = retrier ? (retryCounts.get(retrier) ?? 0) : 0;
      if (retrier && used < (retrier.MaxAttempts ?? 3)) {
        retryCounts.set(retrier, used + 1);
        retryCount++;
        await (env.sleep ?? defaultSleep)(retryDelayMs(retrier, used), env.signal);
        continue;
      }
      const catcher: Catcher | undefined = (state.Catch ?? []).find((c) => matches(c.ErrorEquals, se.error));
      if (!catcher) throw se;
      // The state failed even though the machine goes on: the trace says so.
      span.fail(failureKind(se.error), se.error, se.causeText);
      span.metadata = { ...span.metadata, caught: { Error: se.error, next: catcher.Next } };
      const errorOutput = { Error: se.error, Cause: se.causeText };
      const resultPath = catcher.ResultPath === undefined ? '$' : catcher.ResultPath;
      return { output: writeResultPath(rawInput, resultPath, errorOutput), next: catcher.Next };
    }
  }
}

async function runTask(state: TaskState, parameters: unknown, env: ExecutionEnv, span: TraceSpan) {
  const handler = env.tasks.get(state.Resource);
  if (!handler) throw runtimeError(`no integration for resource ${state.Resource}`);
  const controller = new AbortController();
  const onAbort = () => controller.abort(env.signal.reason);
  env.signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  if (state.TimeoutSeconds !== undefined) {
    const timeout = new StatesError('States.Timeout', `Task timed out after ${state.TimeoutSeconds} s`);
    timer = setTimeout(() => controller.abort(timeout), state.TimeoutSeconds * 1000);
  }
  try {
    return await handler({
      resource: state.Resource,
      parameters,
      span,
      traceHeaderFor: env.traceHeaderFor,
      signal: controller.signal,
    });
  } catch (err) {
    // A handler interrupted by the abort reports the abort's reason (timeout), not a socket error.
    if (controller.signal.aborted) throw abortError(controller.signal);
    throw err;
  } finally {
    clearTimeout(timer);
    env.signal.removeEventListener('abort', onAbort);
  }
}

async function runParallel(state: ParallelState, input: unknown, env: ExecutionEnv, span: TraceSpan) {
  // One failing branch fails the state and stops its siblings (ASL: "Parallel State Failure Handling").
  const controller = new AbortController();
  const onAbort = () => controller.abort(env.signal.reason);
  env.signal.addEventListener('abort', onAbort, { once: true });
  const branchEnv: ExecutionEnv = { ...env, signal: controller.signal };
  try {
    const settled = await Promise.allSettled(
      state.Branches.map(async (branch, i) => {
        const branchSpan = span.child(`Branch ${i + 1}`);
        branchSpan.metadata = { startAt: branch.StartAt };
        try {
          return await runStates(branch, input, branchEnv, branchSpan);
        } catch (err) {
          const se = asStatesError(err);
          if (!controller.signal.aborted) controller.abort(se);
          branchSpan.fail(failureKind(se.error), se.error, se.causeText);
          throw se;
        } finally {
          branchSpan.close();
        }
      }),
    );
    if (controller.signal.aborted && !env.signal.aborted) throw asStatesError(controller.signal.reason);
    return settled.map((s) => {
      if (s.status === 'rejected') throw asStatesError(s.reason);
      return s.value;
    });
  } finally {
    env.signal.removeEventListener('abort', onAbort);
  }
}
