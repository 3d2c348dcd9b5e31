import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT } from '@parcel/config';
import { type StateMachineDefinition, validateDefinition } from '@parcel/state-machine';
import type { ExecutionRecord } from './engine/execution';

export interface StateMachine {
  arn: string;
  name: string;
  type: 'EXPRESS' | 'STANDARD';
  definition: StateMachineDefinition;
  roleArn: string;
  creationDate: Date;
  tracingEnabled: boolean;
}

const ARN = /^arn:aws:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
const EXECUTION_ARN =
  /^arn:aws:states:[a-z0-9-]+:\d{12}:(execution|express):[A-Za-z0-9_-]{1,80}:[^:]+(:[^:]+)?$/;
/** Execution names: 1-80 characters, none of whitespace, brackets, wildcards or special characters. */
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;
// …nor control characters (U+0000-U+001F, U+007F-U+009F).
const hasControlCharacter = (s: string) =>
  [...s].some((c) => {
    const code = c.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });

export const isStateMachineArn = (arn: string) => ARN.test(arn);
export const isExecutionArn = (arn: string) => EXECUTION_ARN.test(arn);
export const isValidExecutionName = (name: string) => NAME.test(name) && !hasControlCharacter(name);

/** The state machines this emulator knows, and the executions it keeps for DescribeExecution (bounded). */
export class Registry {
  private readonly machines = new Map<string, StateMachine>();
  private readonly executions = new Map<string, ExecutionRecord>();

  constructor(
    readonly region: string,
    readonly account: string = LOCAL_ACCOUNT,
    private readonly maxExecutions = 1000,
  ) {}

  register(
    name: string,
    definition: StateMachineDefinition,
    type: 'EXPRESS' | 'STANDARD' = 'EXPRESS',
  ): StateMachine {
    const problems = validateDefinition(definition);
    if (problems.length > 0) throw new Error(`invalid definition for ${name}:\n  ${problems.join('\n  ')}`);
    const machine: StateMachine = {
      arn: `arn:aws:states:${this.region}:${this.account}:stateMachine:${name}`,
      name,
      type,
      definition,
      roleArn: `arn:aws:iam::${this.account}:role/${name}-role`,
      creationDate: new Date(),
      tracingEnabled: true,
    };
    this.machines.set(machine.arn, machine);
    return machine;
  }

  get(arn: string): StateMachine | undefined {
    return this.machines.get(arn);
  }

  list(): StateMachine[] {
    return [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Express executions are named `…:express:{machine}:{name}:{uuid}`, standard `…:execution:{machine}:{name}`. */
  executionArn(machine: StateMachine, name: string): string {
    const base = `arn:aws:states:${this.region}:${this.account}`;
    return machine.type === 'EXPRESS'
      ? `${base}:express:${machine.name}:${name}:${randomUUID()}`
      : `${base}:execution:${machine.name}:${name}`;
  }

  hasExecution(arn: string): boolean {
    return this.executions.has(arn);
  }

  remember(record: ExecutionRecord): void {
    this.executions.set(record.executionArn, record);
    while (this.executions.size > this.maxExecutions) {
      const oldest = this.executions.keys().next().value as string;
      this.executions.delete(oldest);
    }
  }

  execution(arn: string): ExecutionRecord | undefined {
    return this.executions.get(arn);
  }
}
