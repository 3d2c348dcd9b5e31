import { describe, expect, it } from 'vitest';
import type { ChoiceState, ParallelState, StateMachineDefinition, TaskState } from './asl';
import { transitionsOf, validateDefinition } from './asl';
import {
  API_GATEWAY_INVOKE,
  buildParcelFanoutDefinition,
  DYNAMODB_PUT_ITEM,
  PARCEL_FANOUT_NAME,
  FANOUT_STATES as S,
} from './parcel-fanout';

const def = buildParcelFanoutDefinition({
  apiEndpoint: 'abc123.execute-api.eu-west-1.amazonaws.com',
  stage: 'prod',
  tableName: 'parcels-prod',
});
const parallel = def.States[S.fetchParts] as ParallelState;
const [warehouseBranch, vendorBranch] = parallel.Branches as [StateMachineDefinition, StateMachineDefinition];

function allStates(d: StateMachineDefinition): [string, StateMachineDefinition][] {
  const out: [string, StateMachineDefinition][] = [];
  for (const [name, state] of Object.entries(d.States)) {
    out.push([name, d]);
    if (state.Type === 'Parallel') for (const b of state.Branches) out.push(...allStates(b));
  }
  return out;
}

/**
 * The longest a task can run with its retries: every attempt times out, every backoff is its full interval
 * (Amazon States Language, "Retrying after an error": IntervalSeconds × BackoffRate^n before retry n+1,
 * FULL jitter only shortens it).
 */
function worstCaseSeconds(task: TaskState): number {
  const timeout = task.TimeoutSeconds ?? 60;
  const retrier = task.Retry?.find((r) => r.ErrorEquals.includes('States.ALL'));
  const retries = retrier?.MaxAttempts ?? 0;
  let total = timeout;
  for (let n = 0; n < retries; n++) {
    total += (retrier?.IntervalSeconds ?? 1) * (retrier?.BackoffRate ?? 2) ** n + timeout;
  }
  return total;
}

describe('parcel-fanout definition', () => {
  it("ends every branch, retries included, inside API Gateway's 29 s integration timeout", () => {
    // API Gateway quotas ("Amazon API Gateway quotas", REST APIs): integration timeout 50 ms to 29 s.
    const integrationTimeoutSeconds = 29;
    for (const branch of [warehouseBranch, vendorBranch]) {
      const task = branch.States[branch.StartAt] as TaskState;
      expect(worstCaseSeconds(task)).toBeLessThan(integrationTimeoutSeconds);
    }
    expect(worstCaseSeconds(warehouseBranch.States[S.getWarehouse] as TaskState)).toBe(18);
  });

  it('is named parcel-fanout and uses JSONPath', () => {
    expect(PARCEL_FANOUT_NAME).toBe('parcel-fanout');
    expect(def.QueryLanguage).toBe('JSONPath');
    expect(def.StartAt).toBe(S.fetchParts);
  });

  it('passes structural validation: every Next resolves, every state reachable', () => {
    expect(validateDefinition(def)).toEqual([]);
    for (const [name, scope] of allStates(def)) {
      const state = scope.States[name];
      if (!state) throw new Error(name);
      for (const next of transitionsOf(state)) expect(Object.keys(scope.States)).toContain(next);
    }
  });

  it('the validator itself catches a dangling Next and an unreachable state', () => {
    const broken: StateMachineDefinition = {
      StartAt: 'A',
      States: { A: { Type: 'Pass', Next: 'Nope' }, B: { Type: 'Succeed' } },
    };
    const problems = validateDefinition(broken);
    expect(problems.some((p) => p.includes('unknown state "Nope"'))).toBe(true);
    expect(problems.some((p) => p.includes('B: unreachable'))).toBe(true);
  });

  it('fans out to the two internal routes through API Gateway, IAM-signed by default', () => {
    expect(parallel.Type).toBe('Parallel');
    const wh = warehouseBranch.States[S.getWarehouse] as TaskState;
    const vd = vendorBranch.States[S.getVendor] as TaskState;
    for (const [task, route] of [
      [wh, '/internal/warehouse'],
      [vd, '/internal/vendor'],
    ] as const) {
      expect(task.Resource).toBe(API_GATEWAY_INVOKE);
      expect(task.Parameters).toMatchObject({
        ApiEndpoint: 'abc123.execute-api.eu-west-1.amazonaws.com',
        Method: 'GET',
        Stage: 'prod',
        AuthType: 'IAM_ROLE',
        'Path.$': `States.Format('${route}/{}', $.parcelId)`,
      });
    }
    const noAuth = buildParcelFanoutDefinition({
      apiEndpoint: 'h',
      stage: 's',
      tableName: 't',
      authType: 'NO_AUTH',
    });
    const noAuthTask = (noAuth.States[S.fetchParts] as ParallelState).Branches[0]?.States[
      S.getWarehouse
    ] as TaskState;
    expect(noAuthTask.Parameters?.AuthType).toBe('NO_AUTH');
  });

  it('warehouse: 404 caught as null without retry, other failures retried then uncaught', () => {
    const wh = warehouseBranch.States[S.getWarehouse] as TaskState;
    expect(wh.Catch).toEqual([
      { ErrorEquals: ['ApiGateway.404'], ResultPath: null, Next: S.warehouseUnknown },
    ]);
    expect(wh.Retry?.[0]).toMatchObject({ MaxAttempts: 0 });
    expect(wh.Retry?.[0]?.ErrorEquals).toContain('ApiGateway.404');
    expect(wh.Retry?.[1]).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 2 });
    expect(warehouseBranch.States[S.warehouseUnknown]).toMatchObject({
      Type: 'Pass',
      Result: { warehouse: null },
    });
  });

  it('vendor: 404, 504 and everything else each map to a vendorStatus', () => {
    const vd = vendorBranch.States[S.getVendor] as TaskState;
    const catchers = vd.Catch ?? [];
    expect(catchers.map((c) => [c.ErrorEquals, c.Next])).toEqual([
      [['ApiGateway.404'], S.vendorNotFound],
      [['ApiGateway.504', 'States.Timeout'], S.vendorTimeout],
      [['States.ALL'], S.vendorError],
    ]);
    const statusOf = (name: string) =>
      (vendorBranch.States[name] as unknown as { Result: { vendorStatus: string } }).Result;
    expect(statusOf(S.vendorNotFound)).toEqual({ vendor: null, vendorStatus: 'not_found' });
    expect(statusOf(S.vendorTimeout)).toEqual({ vendor: null, vendorStatus: 'timeout' });
    expect(statusOf(S.vendorError)).toEqual({ vendor: null, vendorStatus: 'error' });
    expect(vd.ResultSelector).toEqual({ 'vendor.$': '$.ResponseBody', vendorStatus: 'ok' });
  });

  it('merges into exactly the MergedParcel fields', () => {
    const merge = def.States[S.merge];
    expect(merge?.Type).toBe('Pass');
    const params = (merge as { Parameters: Record<string, string> }).Parameters;
    expect(Object.keys(params).map((k) => k.replace(/\.\$$/, ''))).toEqual([
      'parcelId',
      'warehouse',
      'vendor',
      'vendorStatus',
      'fetchedAt',
    ]);
  });

  it('unknown parcels end without caching; known ones are put as the contract cache item', () => {
    const choice = def.States[S.isKnown];
    expect(choice?.Type).toBe('Choice');
    expect(def.States[S.unknownParcel]?.Type).toBe('Succeed');
    const put = def.States[S.cacheParcel] as TaskState;
    expect(put.Resource).toBe(DYNAMODB_PUT_ITEM);
    expect(put.Parameters).toEqual({
      TableName: 'parcels-prod',
      Item: {
        parcelId: { 'S.$': '$.parcelId' },
        parcel: { 'S.$': 'States.JsonToString($)' },
        fetchedAt: { 'S.$': '$.fetchedAt' },
        expiresAt: { 'N.$': "States.Format('{}', $$.Execution.Input.expiresAt)" },
      },
    });
    // The output is the merged parcel itself, not the PutItem response.
    expect(put.ResultPath).toBeNull();
    expect(put.Catch?.[0]?.Next).toBe(S.cacheWriteFailed);
  });

  it('a degraded vendor (timeout or error) skips the PutItem and still outputs the merged parcel', () => {
    const known = def.States[S.isKnown] as ChoiceState;
    expect(known.Default).toBe(S.isVendorDegraded);
    const degraded = def.States[S.isVendorDegraded] as ChoiceState;
    expect(degraded.Type).toBe('Choice');
    expect(degraded.Choices).toEqual([
      {
        Or: [
          { Variable: '$.vendorStatus', StringEquals: 'timeout' },
          { Variable: '$.vendorStatus', StringEquals: 'error' },
        ],
        Next: S.degradedNotCached,
      },
    ]);
    // ok and not_found are answers worth caching; only they reach the PutItem.
    expect(degraded.Default).toBe(S.cacheParcel);
    // Succeed passes its input through: the output is the merged parcel, uncached.
    expect(def.States[S.degradedNotCached]).toMatchObject({ Type: 'Succeed' });
    expect(def.States[S.degradedNotCached]).not.toHaveProperty('OutputPath');
  });

  it('serialises to JSON that round-trips unchanged (what CDK and the emulator read)', () => {
    expect(JSON.parse(JSON.stringify(def))).toEqual(def);
  });
});
