import { parameterName, type RouteDefinition, resourceSegments } from './routes';

/**
 * A route's path-parameter shapes as whole-path regular expressions, for an edge that sees only the URI
 * (a WAF regex rule: API Gateway's request validator checks presence, not shape). Written in the subset
 * RE2 (WAF) and JavaScript read alike. A request path is the route's when it matches `routed`; its
 * parameters have their declared shape when it also matches `valid`.
 */
export interface PathShapeRegexes {
  routed: string;
  valid: string;
}

const escapeLiteral = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const unanchored = (pattern: string) => pattern.replace(/^\^/, '').replace(/\$$/, '');

/**
 * `stageName`: the stage segment the execute-api URL carries in front of the resource path
 * (`/prod/parcels/…`); optional, so a custom domain mapped to the stage root matches too.
 */
export function pathShapeRegexes(route: RouteDefinition, stageName: string): PathShapeRegexes {
  const stage = `(?:/${escapeLiteral(stageName)})?`;
  const build = (param: (name: string) => string) =>
    `^${stage}${resourceSegments(route.resourcePath)
      .map((segment) => {
        const name = parameterName(segment);
        return `/${name === undefined ? escapeLiteral(segment) : param(name)}`;
      })
      .join('')}$`;
  return {
    routed: build(() => '[^/]*'),
    valid: build((name) => {
      const spec = route.pathParameters[name];
      if (!spec) throw new Error(`${route.id}: {${name}} has no pathParameters entry`);
      return `(?:${unanchored(spec.pattern)})`;
    }),
  };
}

/** The routes whose parameter shapes the edge enforces: those the stage validates. */
export function shapeCheckedRoutes(routes: readonly RouteDefinition[]): RouteDefinition[] {
  return routes.filter((r) => r.validateRequestParameters && Object.keys(r.pathParameters).length > 0);
}
