/**
 * Extra HTTP response headers an operation asks for, carried on its result under a symbol key so the JSON
 * body (JSON.stringify skips symbol keys) stays exactly the API's shape.
 */
export const RESPONSE_HEADERS: unique symbol = Symbol('response headers');

export type WithResponseHeaders = { [RESPONSE_HEADERS]?: Record<string, string> };

export function responseHeadersOf(result: unknown): Record<string, string> {
  if (result === null || typeof result !== 'object') return {};
  return (result as WithResponseHeaders)[RESPONSE_HEADERS] ?? {};
}
