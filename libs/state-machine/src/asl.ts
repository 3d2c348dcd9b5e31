/**
 * The part of the Amazon States Language (JSONPath query language) that this project's definitions use.
 * Typed loosely on purpose: a definition is data read by CDK (as a JSON string) and by the local emulator.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

interface CommonFields {
  Comment?: string;
  InputPath?: string | null;
  OutputPath?: string | null;
}

interface Transition {
  Next?: string;
  End?: boolean;
}

export interface TaskState extends CommonFields, Transition {
  Type: 'Task';
  Resource: string;
  Parameters?: JsonObject;
  ResultSelector?: JsonObject;
  ResultPath?: string | null;
  TimeoutSeconds?: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export interface ParallelState extends CommonFields, Transition {
  Type: 'Parallel';
  Branches: StateMachineDefinition[];
  Parameters?: JsonObject;
  ResultSelector?: JsonObject;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export interface PassState extends CommonFields, Transition {
  Type: 'Pass';
  Parameters?: JsonObject;
  Result?: JsonValue;
  ResultPath?: string | null;
}

/** A Choice rule: either a boolean combinator or `Variable` + one comparison operator. */
export interface ChoiceRule {
  Variable?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  Next?: string;
  [operator: string]: JsonValue | ChoiceRule | ChoiceRule[] | undefined;
}

export interface ChoiceState extends CommonFields {
  Type: 'Choice';
  Choices: ChoiceRule[];
  Default?: string;
}

export interface SucceedState extends CommonFields {
  Type: 'Succeed';
}

export interface FailState {
  Type: 'Fail';
  Comment?: string;
  Error?: string;
  Cause?: string;
}

export type State = TaskState | ParallelState | PassState | ChoiceState | SucceedState | FailState;

export interface StateMachineDefinition {
  Comment?: string;
  QueryLanguage?: 'JSONPath';
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, State>;
}

/** Every state name a state can move to (Next, Default, Choice rules' Next, Catch Next). */
export function transitionsOf(state: State): string[] {
  const out: string[] = [];
  if ('Next' in state && typeof state.Next === 'string') out.push(state.Next);
  if (state.Type === 'Choice') {
    for (const rule of state.Choices) if (rule.Next) out.push(rule.Next);
    if (state.Default) out.push(state.Default);
  }
  if (state.Type === 'Task' || state.Type === 'Parallel') {
    for (const c of state.Catch ?? []) out.push(c.Next);
  }
  return out;
}

/**
 * Structural checks a state machine must pass before it runs (the subset of AWS's validation that catches
 * real mistakes): StartAt and every transition resolve, terminal states are terminal, every state is
 * reachable, and nested branches are checked the same way. Returns the problems found.
 */
export function validateDefinition(def: StateMachineDefinition, where = ''): string[] {
  const problems: string[] = [];
  const names = Object.keys(def.States ?? {});
  if (!def.States?.[def.StartAt]) problems.push(`${where}StartAt "${def.StartAt}" is not a state`);
  for (const [name, state] of Object.entries(def.States ?? {})) {
    const at = `${where}${name}`;
    if (name.length === 0 || name.length > 80) problems.push(`${at}: state names are 1-80 characters`);
    for (const next of transitionsOf(state)) {
      if (!def.States[next]) problems.push(`${at}: transition to unknown state "${next}"`);
    }
    const terminal = state.Type === 'Succeed' || state.Type === 'Fail' || state.Type === 'Choice';
    if (!terminal) {
      const t = state as Transition;
      if (t.End === true && t.Next !== undefined) problems.push(`${at}: has both Next and End`);
      if (t.End !== true && t.Next === undefined) problems.push(`${at}: needs Next or End: true`);
    }
    if (state.Type === 'Choice' && state.Choices.length === 0) problems.push(`${at}: Choices is empty`);
    if (state.Type === 'Task' || state.Type === 'Parallel') {
      problems.push(...checkErrorLists(at, 'Retry', state.Retry ?? []));
      problems.push(...checkErrorLists(at, 'Catch', state.Catch ?? []));
    }
    if (state.Type === 'Parallel') {
      state.Branches.forEach((branch, i) => {
        problems.push(...validateDefinition(branch, `${at}.Branches[${i}].`));
      });
    }
  }
  // Reachability: a state nothing leads to is a mistake AWS rejects too.
  const reached = new Set<string>();
  const queue = def.States?.[def.StartAt] ? [def.StartAt] : [];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (reached.has(name)) continue;
    reached.add(name);
    const state = def.States[name];
    if (state) queue.push(...transitionsOf(state).filter((n) => def.States[n]));
  }
  for (const name of names) if (!reached.has(name)) problems.push(`${where}${name}: unreachable`);
  return problems;
}

function checkErrorLists(at: string, field: string, entries: { ErrorEquals: string[] }[]): string[] {
  const problems: string[] = [];
  entries.forEach((entry, i) => {
    if (entry.ErrorEquals.length === 0) problems.push(`${at}.${field}[${i}]: ErrorEquals is empty`);
    // States.ALL must stand alone and come last (ASL spec).
    if (entry.ErrorEquals.includes('States.ALL')) {
      if (entry.ErrorEquals.length > 1) problems.push(`${at}.${field}[${i}]: States.ALL must be alone`);
      if (i !== entries.length - 1) problems.push(`${at}.${field}[${i}]: States.ALL must be last`);
    }
  });
  return problems;
}
