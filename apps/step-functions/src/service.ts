import { randomUUID } from 'node:crypto';
import type { DaemonClient } from '@parcel/xray-protocol';
import type { Logger } from 'pino';
import { SfnApiError } from './api/errors';
import { type ExecutionRecord, execute, type KeepSettings } from './engine/execution';
import type { ExecutionEnv, TaskHandler } from './engine/interpreter';
import {
  isExecutionArn,
  isStateMachineArn,
  isValidExecutionName,
  type Registry,
  type StateMachine,
} from './state-machines';

export interface StartRequest {
  stateMachineArn: string;
  name?: string;
  input?: string;
  traceHeader?: string;
}

/** The Step Functions operations, independent of the wire: validation, execution, bookkeeping. */
export class StepFunctionsService {
  constructor(
    readonly registry: Registry,
    private readonly tasks: ReadonlyMap<string, TaskHandler>,
    private readonly logger: Logger,
    private readonly emitter?: DaemonClient,
    private readonly sleep?: ExecutionEnv['sleep'],
    private readonly keep?: KeepSettings,
  ) {}

  stateMachine(arn: string): StateMachine {
    if (!isStateMachineArn(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    const machine = this.registry.get(arn);
    if (!machine) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private prepare(req: StartRequest) {
    const machine = this.stateMachine(req.stateMachineArn);
    const name = req.name ?? randomUUID();
    if (!isValidExecutionName(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
    const input = req.input ?? '{}';
    try {
      JSON.parse(input);
    } catch {
      throw new SfnApiError(
        'InvalidExecutionInput',
        "Invalid State Machine Execution Input: 'Unexpected token'",
      );
    }
    const executionArn = this.registry.executionArn(machine, name);
    if (this.registry.hasExecution(executionArn)) {
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      status: 'RUNNING',
      startDate: new Date(),
      input,
      traceHeader: req.traceHeader,
    };
    return { machine, record };
  }

  private run(machine: StateMachine, record: ExecutionRecord): Promise<ExecutionRecord> {
    return execute(
      {
        definition: machine.definition,
        stateMachineName: machine.name,
        stateMachineArn: machine.arn,
        roleArn: machine.roleArn,
        executionArn: record.executionArn,
        name: record.name,
        input: record.input,
        traceHeader: record.traceHeader,
        tasks: this.tasks,
        emitter: this.emitter,
        sleep: this.sleep,
        keep: this.keep,
      },
      record,
    ).then((done) => {
      // Successes are the common case at load; failures are what someone will look for.
      const level = done.status === 'SUCCEEDED' ? 'debug' : 'warn';
      this.logger[level](
        {
          executionArn: done.executionArn,
          status: done.status,
          error: done.error,
          durationMs: (done.stopDate?.getTime() ?? 0) - done.startDate.getTime(),
        },
        'execution finished',
      );
      return done;
    });
  }

  async startSyncExecution(req: StartRequest): Promise<ExecutionRecord> {
    const { machine, record } = this.prepare(req);
    if (machine.type !== 'EXPRESS') {
      throw new SfnApiError(
        'StateMachineTypeNotSupported',
        'This operation is not supported by this type of state machine',
      );
    }
    this.registry.remember(record);
    return this.run(machine, record);
  }

  startExecution(req: StartRequest): ExecutionRecord {
    const { machine, record } = this.prepare(req);
    this.registry.remember(record);
    this.run(machine, record).catch((err) => this.logger.error({ err }, 'execution crashed'));
    return record;
  }

  describeExecution(arn: string): ExecutionRecord {
    if (!isExecutionArn(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    const record = this.registry.execution(arn);
    if (!record) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return record;
  }
}
