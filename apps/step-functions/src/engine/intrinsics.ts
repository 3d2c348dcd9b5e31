import { type PathScope, readPath } from './json-path';
import { runtimeError, StatesError } from './states-error';

/**
 * Intrinsic functions (`States.Format('…{}', $.x)`, `States.JsonToString($)`, …) as ASL defines them:
 * arguments are string literals in single quotes (with `\'`, `\{`, `\}`, `\\` escapes), numbers, `null`,
 * `true`/`false`, paths, or nested intrinsic calls.
 */
type Arg =
  | { kind: 'literal'; value: unknown }
  | { kind: 'path'; path: string }
  | { kind: 'call'; name: string; args: Arg[] };

export function isIntrinsic(expr: string): boolean {
  return /^States\.[A-Za-z0-9]+\(/.test(expr);
}

class Parser {
  i = 0;
  constructor(readonly src: string) {}

  fail(msg: string): never {
    throw runtimeError(`invalid intrinsic "${this.src}": ${msg} at ${this.i}`);
  }
  skipSpace() {
    while (this.src[this.i] === ' ') this.i++;
  }
  call(): Arg {
    const m = /^States\.[A-Za-z0-9]+/.exec(this.src.slice(this.i));
    if (!m) this.fail('expected States.Name');
    this.i += m[0].length;
    if (this.src[this.i] !== '(') this.fail('expected (');
    this.i++;
    const args: Arg[] = [];
    this.skipSpace();
    if (this.src[this.i] === ')') {
      this.i++;
      return { kind: 'call', name: m[0], args };
    }
    for (;;) {
      this.skipSpace();
      args.push(this.arg());
      this.skipSpace();
      const ch = this.src[this.i++];
      if (ch === ')') return { kind: 'call', name: m[0], args };
      if (ch !== ',') this.fail('expected , or )');
    }
  }
  arg(): Arg {
    const rest = this.src.slice(this.i);
    if (rest.startsWith("'")) return this.string();
    if (rest.startsWith('States.')) return this.call();
    if (rest.startsWith('$')) {
      // A path ends at the next top-level , or ) (paths in intrinsics cannot contain either unquoted).
      let j = this.i;
      let quote: string | undefined;
      while (j < this.src.length) {
        const ch = this.src[j] as string;
        if (quote) {
          if (ch === quote) quote = undefined;
        } else if (ch === "'" || ch === '"') quote = ch;
        else if (ch === ',' || ch === ')') break;
        j++;
      }
      const path = this.src.slice(this.i, j).trim();
      this.i = j;
      return { kind: 'path', path };
    }
    const lit = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|null|true|false)/.exec(rest);
    if (lit) {
      this.i += (lit[0] as string).length;
      return { kind: 'literal', value: JSON.parse(lit[0] as string) };
    }
    return this.fail('unexpected argument');
  }
  string(): Arg {
    this.i++; // opening quote
    let out = '';
    while (this.i < this.src.length) {
      const ch = this.src[this.i++] as string;
      if (ch === '\\') {
        const next = this.src[this.i++];
        if (next === undefined) this.fail('dangling escape');
        // `\{` and `\}` stay escaped so States.Format can tell them from placeholders.
        out += next === '{' || next === '}' ? `\\${next}` : next;
      } else if (ch === "'") return { kind: 'literal', value: out };
      else out += ch;
    }
    return this.fail('unterminated string');
  }
}

const parsed = new Map<string, Arg>();

export function evaluateIntrinsic(expr: string, scope: PathScope): unknown {
  let ast = parsed.get(expr);
  if (!ast) {
    const parser = new Parser(expr);
    ast = parser.call();
    if (parser.i !== expr.length) parser.fail('trailing characters');
    if (parsed.size < 1000) parsed.set(expr, ast);
  }
  return evaluate(ast, scope);
}

function evaluate(arg: Arg, scope: PathScope): unknown {
  if (arg.kind === 'literal') return arg.value;
  if (arg.kind === 'path') return readPath(arg.path, scope);
  const args = arg.args.map((a) => evaluate(a, scope));
  const fn = FUNCTIONS[arg.name];
  if (!fn) throw runtimeError(`unsupported intrinsic function ${arg.name}`);
  return fn(args, arg.args);
}

const unescapeBraces = (s: string) => s.replace(/\\([{}])/g, '$1');

const FUNCTIONS: Record<string, (args: unknown[], raw: Arg[]) => unknown> = {
  'States.Format': (args, raw) => {
    const [template, ...values] = args;
    if (typeof template !== 'string' || raw[0]?.kind !== 'literal') {
      throw new StatesError('States.IntrinsicFailure', 'States.Format needs a string literal template');
    }
    const parts = template.split(/(?<!\\)\{\}/);
    if (parts.length - 1 !== values.length) {
      throw new StatesError(
        'States.IntrinsicFailure',
        `States.Format: ${parts.length - 1} placeholders but ${values.length} arguments`,
      );
    }
    let out = unescapeBraces(parts[0] as string);
    values.forEach((v, i) => {
      if (v !== null && typeof v === 'object') {
        throw new StatesError('States.IntrinsicFailure', 'States.Format arguments must be scalars');
      }
      out += String(v) + unescapeBraces(parts[i + 1] as string);
    });
    return out;
  },
  'States.JsonToString': ([value]) => JSON.stringify(value),
  'States.StringToJson': ([value]) => {
    if (typeof value !== 'string') throw new StatesError('States.IntrinsicFailure', 'expected a string');
    try {
      return JSON.parse(value);
    } catch {
      throw new StatesError('States.IntrinsicFailure', 'States.StringToJson: not JSON');
    }
  },
  'States.Array': (args) => args,
};
