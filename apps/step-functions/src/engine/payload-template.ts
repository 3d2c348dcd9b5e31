import { evaluateIntrinsic, isIntrinsic } from './intrinsics';
import { type PathScope, readPath } from './json-path';
import { runtimeError } from './states-error';

/**
 * Parameters / ResultSelector: a JSON template whose `key.$` fields are replaced by what their path or
 * intrinsic function yields (the `.$` suffix dropped); everything else is copied as is, recursively.
 */
export function applyTemplate(template: unknown, scope: PathScope): unknown {
  if (Array.isArray(template)) return template.map((v) => applyTemplate(v, scope));
  if (template === null || typeof template !== 'object') return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      if (typeof value !== 'string') throw runtimeError(`field "${key}" must be a path or intrinsic`);
      out[key.slice(0, -2)] = isIntrinsic(value) ? evaluateIntrinsic(value, scope) : readPath(value, scope);
    } else {
      out[key] = applyTemplate(value, scope);
    }
  }
  return out;
}
