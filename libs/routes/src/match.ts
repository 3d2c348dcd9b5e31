import { parameterName, ROUTES, type RouteDefinition, resourceSegments } from './routes';

export type RouteMatch =
  | { route: RouteDefinition; params: Record<string, string> }
  | { error: 'not_found' | 'method_not_allowed' };

/** Longer paths are not ours to route (API Gateway's URL limit for a regional API is 10,240 characters). */
export const MAX_PATH_LENGTH = 8192;
const MAX_SEGMENT_LENGTH = 1024;

interface CompiledRoute {
  route: RouteDefinition;
  segments: ({ literal: string } | { param: string })[];
}

function compile(routes: readonly RouteDefinition[]): CompiledRoute[] {
  return routes.map((route) => ({
    route,
    segments: resourceSegments(route.resourcePath).map((s) => {
      const name = parameterName(s);
      return name === undefined ? { literal: s } : { param: name };
    }),
  }));
}

const COMPILED = compile(ROUTES);

/**
 * Splits a raw request path (no query string) into decoded segments, or `undefined` when the path is
 * not one a route could own: not absolute, empty or dot segments (no traversal), an encoded slash or
 * backslash inside a segment (no smuggled separators), bad percent-encoding, control characters, or
 * anything overlong. Never throws.
 */
export function pathSegments(rawPath: string): string[] | undefined {
  if (typeof rawPath !== 'string' || rawPath.length === 0 || rawPath.length > MAX_PATH_LENGTH)
    return undefined;
  if (rawPath[0] !== '/') return undefined;
  const parts = rawPath.slice(1).split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part.length > MAX_SEGMENT_LENGTH) return undefined;
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    if (decoded === '.' || decoded === '..') return undefined;
    // Separators and control characters have no business in a segment, encoded or not.
    if (hasSeparatorOrControl(decoded)) return undefined;
    out.push(decoded);
  }
  return out;
}

function hasSeparatorOrControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x2f /* / */ || c === 0x5c /* \ */) return true;
  }
  return false;
}

/**
 * Finds the route for `method` + `path`. A path some route owns under another method is
 * `method_not_allowed`; everything else unknown is `not_found` (API Gateway answers both with 403
 * "Missing Authentication Token": that mapping is the gateway's job, not the table's).
 */
export function matchRoute(
  method: string,
  path: string,
  routes: readonly RouteDefinition[] = ROUTES,
): RouteMatch {
  const segments = pathSegments(path);
  if (!segments) return { error: 'not_found' };
  const compiled = routes === ROUTES ? COMPILED : compile(routes);
  let pathKnown = false;
  for (const candidate of compiled) {
    const params = matchSegments(candidate, segments);
    if (!params) continue;
    if (candidate.route.method === method) return { route: candidate.route, params };
    pathKnown = true;
  }
  return { error: pathKnown ? 'method_not_allowed' : 'not_found' };
}

function matchSegments(candidate: CompiledRoute, segments: string[]): Record<string, string> | undefined {
  if (candidate.segments.length !== segments.length) return undefined;
  // Parameter names come from the table, never from the request.
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const spec = candidate.segments[i] as { literal: string } | { param: string };
    const value = segments[i] as string;
    if ('literal' in spec) {
      if (spec.literal !== value) return undefined;
    } else {
      params[spec.param] = value;
    }
  }
  return params;
}

export type ParameterProblem = { name: string; reason: 'missing' | 'too_long' | 'pattern' };

const patterns = new Map<string, RegExp>();
function compiledPattern(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) {
    re = new RegExp(source);
    patterns.set(source, re);
  }
  return re;
}

/**
 * The stage's request validation for routes that ask for it: presence (all an API Gateway request
 * validator checks on a path parameter) plus the declared shape (pattern, length), which in AWS needs
 * its own enforcement point (a WAF regex rule) — the service still validates the check digit itself.
 */
export function validatePathParameters(
  route: RouteDefinition,
  params: Record<string, string>,
): ParameterProblem[] {
  if (!route.validateRequestParameters) return [];
  const problems: ParameterProblem[] = [];
  for (const [name, spec] of Object.entries(route.pathParameters)) {
    const value = Object.hasOwn(params, name) ? params[name] : undefined;
    if (value === undefined || value === '') problems.push({ name, reason: 'missing' });
    else if (value.length > spec.maxLength) problems.push({ name, reason: 'too_long' });
    else if (!compiledPattern(spec.pattern).test(value)) problems.push({ name, reason: 'pattern' });
  }
  return problems;
}
