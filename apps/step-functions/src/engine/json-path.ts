import { runtimeError } from './states-error';

/**
 * ASL reference paths: `$` or `$$` followed by `.name`, `['name']` or `[index]` steps, which is all a
 * JSONPath definition may use in InputPath/OutputPath/ResultPath, `.$` fields and Choice variables that
 * this emulator runs. Anything else (filters, wildcards, slices) is refused when a path is parsed, so a
 * definition that would behave differently in AWS fails loudly here instead of quietly.
 */
export type PathStep = string | number;
export interface ReferencePath {
  context: boolean;
  steps: PathStep[];
}

const cache = new Map<string, ReferencePath>();

export function parsePath(path: string): ReferencePath {
  const hit = cache.get(path);
  if (hit) return hit;
  if (!path.startsWith('$')) throw runtimeError(`"${path}" is not a JSONPath (must start with $)`);
  const context = path.startsWith('$$');
  let i = context ? 2 : 1;
  const steps: PathStep[] = [];
  while (i < path.length) {
    const ch = path[i];
    if (ch === '.') {
      const m = /^[^.[\]\s'"*?()@,]+/.exec(path.slice(i + 1));
      if (!m) throw runtimeError(`unsupported JSONPath "${path}" at ${i}`);
      steps.push(m[0]);
      i += 1 + m[0].length;
    } else if (ch === '[') {
      const rest = path.slice(i);
      const index = /^\[(\d+)\]/.exec(rest);
      const quoted = /^\[(['"])((?:\\.|(?!\1).)*)\1\]/.exec(rest);
      if (index) {
        steps.push(Number(index[1]));
        i += index[0].length;
      } else if (quoted) {
        steps.push((quoted[2] as string).replace(/\\(.)/g, '$1'));
        i += quoted[0].length;
      } else throw runtimeError(`unsupported JSONPath "${path}" at ${i}`);
    } else throw runtimeError(`unsupported JSONPath "${path}" at ${i}`);
  }
  const parsed = { context, steps };
  if (cache.size < 1000) cache.set(path, parsed);
  return parsed;
}

const MISSING = Symbol('missing');

function walk(root: unknown, steps: PathStep[]): unknown {
  let cur: unknown = root;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(cur) || step >= cur.length) return MISSING;
      cur = cur[step];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, step)) {
        return MISSING;
      }
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return cur;
}

export interface PathScope {
  input: unknown;
  context: unknown;
}

/** Reads `path`; a path that matches nothing is `States.Runtime`, as in AWS. */
export function readPath(path: string, scope: PathScope): unknown {
  const p = parsePath(path);
  const value = walk(p.context ? scope.context : scope.input, p.steps);
  if (value === MISSING) throw runtimeError(`The JSONPath '${path}' could not be found in the input`);
  return value;
}

/** Whether `path` matches something (Choice `IsPresent`). */
export function pathExists(path: string, scope: PathScope): boolean {
  const p = parsePath(path);
  return walk(p.context ? scope.context : scope.input, p.steps) !== MISSING;
}

/** ResultPath: places `result` into a copy of `input` at `path` (only `$` steps with names). */
export function writeResultPath(input: unknown, path: string | null | undefined, result: unknown): unknown {
  if (path === null) return input;
  if (path === undefined || path === '$') return result;
  const p = parsePath(path);
  if (p.context) throw runtimeError(`ResultPath "${path}" cannot write to the context object`);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw runtimeError(`ResultPath "${path}" needs an object input`);
  }
  const out = structuredClone(input) as Record<string, unknown>;
  let cur: Record<string, unknown> = out;
  p.steps.forEach((step, i) => {
    if (typeof step === 'number') throw runtimeError(`ResultPath "${path}" cannot index arrays`);
    if (i === p.steps.length - 1) {
      cur[step] = result;
      return;
    }
    const next = cur[step];
    if (next === undefined) cur[step] = {};
    else if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      throw runtimeError(`ResultPath "${path}" crosses a non-object at "${step}"`);
    }
    cur = cur[step] as Record<string, unknown>;
  });
  return out;
}

/** InputPath/OutputPath: `null` yields `{}`, absent yields the value itself. */
export function selectPath(value: unknown, path: string | null | undefined, context: unknown): unknown {
  if (path === null) return {};
  if (path === undefined || path === '$') return value;
  return readPath(path, { input: value, context });
}
