import { KeepStats } from '@parcel/sampling-rules';
import type { StateMachineDefinition } from '@parcel/state-machine';
import { startUdpCollector, type UdpCollector } from '@parcel/test-kit';
import type { SegmentDoc } from '@parcel/xray-protocol';
import { DaemonClient, newSegmentId, newTraceId } from '@parcel/xray-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExecutionRecord, execute } from './execution';
import type { TaskHandler } from './interpreter';

const SLOW_TASK = 'arn:test:slow';
const definition: StateMachineDefinition = {
  StartAt: 'Wait a bit',
  States: { 'Wait a bit': { Type: 'Task', Resource: SLOW_TASK, End: true } },
};
const tasks = new Map<string, TaskHandler>([
  [SLOW_TASK, ({ parameters }) => new Promise((r) => setTimeout(() => r(parameters), 60))],
]);

let collector: UdpCollector<SegmentDoc>;
let emitter: DaemonClient;
beforeAll(async () => {
  collector = await startUdpCollector<SegmentDoc>();
  emitter = new DaemonClient(collector.address);
});
afterAll(async () => {
  await emitter?.close();
  await collector?.close();
});

function run(traceHeader: string, slowMs: number, stats: KeepStats) {
  const record: ExecutionRecord = {
    executionArn: `arn:aws:states:us-east-1:000000000000:express:slow:${newSegmentId()}`,
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:slow',
    name: 'x',
    status: 'RUNNING',
    startDate: new Date(),
    input: '{}',
    traceHeader,
  };
  return execute(
    {
      definition,
      stateMachineName: 'slow',
      stateMachineArn: record.stateMachineArn,
      roleArn: 'arn:aws:iam::000000000000:role/x',
      executionArn: record.executionArn,
      name: record.name,
      input: record.input,
      traceHeader,
      tasks,
      emitter,
      keep: { slowMs, stats },
    },
    record,
  );
}

describe('keep-on-error latency (TRACE_KEEP_SLOW_MS)', () => {
  it('keeps an unsampled execution slower than the threshold as latency', async () => {
    const stats = new KeepStats();
    const traceId = newTraceId();
    const done = await run(`Root=${traceId};Parent=${newSegmentId()};Sampled=0`, 30, stats);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.kept).toBe('latency');
    await collector.waitFor((s) => s.some((x) => x.trace_id === traceId));
    expect(collector.segments.find((s) => s.trace_id === traceId)?.annotations).toMatchObject({
      trace_kept: 'latency',
    });
    expect(stats.snapshot().kept.latency).toBe(1);
  });

  it('discards it when the threshold is higher, or 0 (off)', async () => {
    const stats = new KeepStats();
    for (const slowMs of [10_000, 0]) {
      const done = await run(`Root=${newTraceId()};Parent=${newSegmentId()};Sampled=0`, slowMs, stats);
      expect(done.kept).toBeUndefined();
    }
    expect(stats.snapshot()).toMatchObject({ discarded: 2, kept: { latency: 0 } });
  });
});
