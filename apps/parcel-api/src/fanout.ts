import {
  type SFNClient,
  StartSyncExecutionCommand,
  type StartSyncExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import type { FanoutInput, MergedParcel } from '@parcel/contract';
import { currentTraceHeader } from '@parcel/tracing';

export type FanoutResult =
  | { kind: 'ok'; parcel: MergedParcel }
  /** The execution ran and did not succeed (FAILED, TIMED_OUT) or returned something unusable. */
  | { kind: 'failed'; status: string; error?: string; cause?: string }
  /** Step Functions could not be reached or refused the call. */
  | { kind: 'unavailable'; error: unknown };

/** Runs the parcel-fanout express state machine synchronously for one parcel. Never throws. */
export async function runFanout(
  sfn: SFNClient,
  stateMachineArn: string,
  input: FanoutInput,
): Promise<FanoutResult> {
  const { parcelId } = input;
  let out: StartSyncExecutionCommandOutput;
  try {
    out = await sfn.send(
      new StartSyncExecutionCommand({
        stateMachineArn,
        input: JSON.stringify(input),
        // Rewritten by @parcel/tracing to name this call's own SFN subsegment as Parent, and cut to the
        // field's 256 characters (Root, Parent, Sampled, then what fits: traceHeaderWithin).
        traceHeader: currentTraceHeader(),
      }),
    );
  } catch (error) {
    return { kind: 'unavailable', error };
  }
  if (out.status !== 'SUCCEEDED') {
    return {
      kind: 'failed',
      status: out.status ?? 'UNKNOWN',
      ...(out.error ? { error: out.error } : {}),
      ...(out.cause ? { cause: out.cause.slice(0, 500) } : {}),
    };
  }
  try {
    const parcel = JSON.parse(out.output ?? '') as MergedParcel;
    if (typeof parcel !== 'object' || parcel === null || parcel.parcelId !== parcelId) {
      return {
        kind: 'failed',
        status: 'SUCCEEDED',
        error: 'InvalidOutput',
        cause: 'output is not this parcel',
      };
    }
    return { kind: 'ok', parcel };
  } catch {
    return { kind: 'failed', status: 'SUCCEEDED', error: 'InvalidOutput', cause: 'output is not JSON' };
  }
}
