import type { StateMachineDefinition } from '@parcel/state-machine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ExecutionEnv, runStates, type TaskHandler } from './interpreter';
import { evaluateIntrinsic } from './intrinsics';
import { parsePath, readPath, writeResultPath } from './json-path';
import { applyTemplate } from './payload-template';
import { StatesError } from './states-error';
import { TraceSpan } from './trace-span';

const scope = {
  input: { a: { b: [10, { c: 'x' }] }, 'odd key': 1, n: null },
  context: { State: { Name: 'S' } },
};

describe('reference paths', () => {
  it('reads dot, bracket and index steps, and the context object', () => {
    expect(readPath('$', scope)).toBe(scope.input);
    expect(readPath('$.a.b[1].c', scope)).toBe('x');
    expect(readPath("$['odd key']", scope)).toBe(1);
    expect(readPath('$.n', scope)).toBeNull();
    expect(readPath('$$.State.Name', scope)).toBe('S');
  });

  it('a path that matches nothing is States.Runtime, its cause naming the path', () => {
    for (const path of ['$.a.missing', '$.a.b[7]']) {
      expect(() => readPath(path, scope), path).toThrowError(
        expect.objectContaining({
          name: 'StatesError',
          error: 'States.Runtime',
          causeText: `The JSONPath '${path}' could not be found in the input`,
        }),
      );
    }
  });

  it('refuses what the emulator does not implement instead of guessing', () => {
    for (const p of ['$..a', '$.a[*]', '$.a[?(@.x)]', '$.a[0:2]', 'a.b', '$a']) {
      expect(() => parsePath(p), p).toThrowError(expect.objectContaining({ error: 'States.Runtime' }));
    }
  });

  it('hostile paths only ever fail as States.Runtime, with a cause that names the path', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (tail) => {
        const path = `$${tail}`;
        let thrown: unknown;
        try {
          readPath(path, scope);
        } catch (err) {
          thrown = err;
        }
        if (thrown === undefined) return;
        expect(thrown).toBeInstanceOf(StatesError);
        expect((thrown as StatesError).error).toBe('States.Runtime');
        expect((thrown as StatesError).causeText).toContain(path);
      }),
    );
  });

  it('ResultPath writes into a copy and null keeps the input', () => {
    const input = { x: 1 };
    expect(writeResultPath(input, '$.r.s', 2)).toEqual({ x: 1, r: { s: 2 } });
    expect(input).toEqual({ x: 1 });
    expect(writeResultPath(input, null, 2)).toBe(input);
    expect(writeResultPath(input, '$', 2)).toBe(2);
  });
});

describe('intrinsics and templates', () => {
  const s = { input: { id: 'RR1', obj: { k: [1, 'two'] } }, context: {} };
  it('States.Format fills placeholders and keeps escaped braces', () => {
    expect(evaluateIntrinsic("States.Format('/internal/warehouse/{}', $.id)", s)).toBe(
      '/internal/warehouse/RR1',
    );
    expect(evaluateIntrinsic("States.Format('\\{{}\\} it\\'s', $.id)", s)).toBe("{RR1} it's");
    expect(() => evaluateIntrinsic("States.Format('{} {}', $.id)", s)).toThrowError(
      expect.objectContaining({ error: 'States.IntrinsicFailure' }),
    );
  });

  it('States.JsonToString and StringToJson round-trip', () => {
    const text = evaluateIntrinsic('States.JsonToString($.obj)', s);
    expect(text).toBe('{"k":[1,"two"]}');
    expect(evaluateIntrinsic('States.StringToJson(\'{"a":1}\')', s)).toEqual({ a: 1 });
  });

  it('templates replace `.$` fields recursively and copy the rest', () => {
    expect(
      applyTemplate(
        {
          plain: 'v',
          'id.$': '$.id',
          nested: { 'S.$': 'States.JsonToString($.obj)' },
          arr: [{ 'x.$': '$.id' }],
        },
        s,
      ),
    ).toEqual({ plain: 'v', id: 'RR1', nested: { S: '{"k":[1,"two"]}' }, arr: [{ x: 'RR1' }] });
  });
});

describe('interpreter semantics', () => {
  function env(tasks: Record<string, TaskHandler>): ExecutionEnv {
    return {
      context: { Execution: { Input: {} } },
      tasks: new Map(Object.entries(tasks)),
      signal: new AbortController().signal,
      traceHeaderFor: () => undefined,
      sleep: async () => {},
    };
  }
  const failing = (error: string, times = Number.POSITIVE_INFINITY) =>
    (() => {
      let calls = 0;
      const handler: TaskHandler & { calls: () => number } = Object.assign(
        async () => {
          calls++;
          if (calls <= times) throw new StatesError(error, `fail ${calls}`);
          return { ok: calls };
        },
        { calls: () => calls },
      );
      return handler;
    })();

  it('States.TaskFailed matches any error but States.Timeout; States.ALL never catches States.Runtime', async () => {
    const def = (errorEquals: string[]): StateMachineDefinition => ({
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'r', Catch: [{ ErrorEquals: errorEquals, Next: 'C' }], End: true },
        C: { Type: 'Pass', End: true },
      },
    });
    const run = (errorEquals: string[], error: string) =>
      runStates(def(errorEquals), {}, env({ r: failing(error) }), new TraceSpan('t'));
    await expect(run(['States.TaskFailed'], 'ApiGateway.500')).resolves.toEqual({
      Error: 'ApiGateway.500',
      Cause: 'fail 1',
    });
    await expect(run(['States.TaskFailed'], 'States.Timeout')).rejects.toMatchObject({
      error: 'States.Timeout',
    });
    await expect(run(['States.ALL'], 'States.Runtime')).rejects.toMatchObject({ error: 'States.Runtime' });
  });

  it('retries up to MaxAttempts per retrier, then succeeds or fails', async () => {
    const def: StateMachineDefinition = {
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'r', Retry: [{ ErrorEquals: ['E'], MaxAttempts: 2 }], End: true },
      },
    };
    const twice = failing('E', 2);
    await expect(runStates(def, {}, env({ r: twice }), new TraceSpan('t'))).resolves.toEqual({ ok: 3 });
    const always = failing('E');
    await expect(runStates(def, {}, env({ r: always }), new TraceSpan('t'))).rejects.toMatchObject({
      error: 'E',
    });
    expect(always.calls()).toBe(3);
  });

  it('a failing Parallel branch fails the state, stops its sibling, and the trace shows both', async () => {
    let siblingAborted = false;
    const slow: TaskHandler = ({ signal }) =>
      new Promise((_, reject) =>
        signal.addEventListener('abort', () => {
          siblingAborted = true;
          reject(signal.reason);
        }),
      );
    const def: StateMachineDefinition = {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'fail', End: true } } },
            { StartAt: 'B', States: { B: { Type: 'Task', Resource: 'slow', End: true } } },
          ],
          End: true,
        },
      },
    };
    const root = new TraceSpan('root');
    await expect(runStates(def, {}, env({ fail: failing('Boom'), slow }), root)).rejects.toMatchObject({
      error: 'Boom',
    });
    expect(siblingAborted).toBe(true);
    const p = root.toDoc().subsegments?.[0];
    expect(p?.fault).toBe(true);
    expect(p?.subsegments?.map((b) => b.name)).toEqual(['Branch 1', 'Branch 2']);
  });
});
