import type { ChoiceRule } from '@parcel/state-machine';
import { type PathScope, pathExists, readPath } from './json-path';
import { runtimeError } from './states-error';

/** Evaluates one Choice rule (Variable + operator, or And/Or/Not) against the state's input. */
export function matchesRule(rule: ChoiceRule, scope: PathScope): boolean {
  if (rule.And) return rule.And.every((r) => matchesRule(r, scope));
  if (rule.Or) return rule.Or.some((r) => matchesRule(r, scope));
  if (rule.Not) return !matchesRule(rule.Not, scope);
  const variable = rule.Variable;
  if (typeof variable !== 'string') throw runtimeError('a Choice rule needs Variable, And, Or or Not');
  const operators = Object.keys(rule).filter((k) => k !== 'Variable' && k !== 'Next' && k !== 'Comment');
  if (operators.length !== 1)
    throw runtimeError(`a Choice rule needs exactly one operator, got ${operators}`);
  const op = operators[0] as string;
  let expected = rule[op];
  if (op === 'IsPresent') return pathExists(variable, scope) === expected;
  // Missing variables make comparisons fail at runtime in AWS; IsPresent is the way to test for them.
  const actual = readPath(variable, scope);
  let name = op;
  if (op.endsWith('Path') && !op.startsWith('Is')) {
    expected = readPath(String(expected), scope) as typeof expected;
    name = op.slice(0, -4);
  }
  switch (name) {
    case 'IsNull':
      return (actual === null) === expected;
    case 'IsString':
      return (typeof actual === 'string') === expected;
    case 'IsNumeric':
      return (typeof actual === 'number') === expected;
    case 'IsBoolean':
      return (typeof actual === 'boolean') === expected;
    case 'StringEquals':
      return typeof actual === 'string' && actual === expected;
    case 'BooleanEquals':
      return typeof actual === 'boolean' && actual === expected;
    case 'NumericEquals':
      return typeof actual === 'number' && actual === expected;
    case 'NumericLessThan':
      return typeof actual === 'number' && typeof expected === 'number' && actual < expected;
    case 'NumericGreaterThan':
      return typeof actual === 'number' && typeof expected === 'number' && actual > expected;
    case 'NumericLessThanEquals':
      return typeof actual === 'number' && typeof expected === 'number' && actual <= expected;
    case 'NumericGreaterThanEquals':
      return typeof actual === 'number' && typeof expected === 'number' && actual >= expected;
    default:
      throw runtimeError(`unsupported Choice operator ${op}`);
  }
}
