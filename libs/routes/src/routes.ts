/**
 * The API's route table, defined once: the gateway stand-in routes by it, the CDK stack builds the REST
 * API's resources, methods, authorisation and request validation from it, and the tests read it.
 */

/** The services behind the API (in AWS: each one a target group behind the VPC link's ALB). */
export type RouteTarget = 'parcel-api' | 'warehouse-query';

/** API Gateway `AuthorizationType` values this API uses. */
export type RouteAuthorization = 'NONE' | 'AWS_IAM';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface PathParameter {
  /** `method.request.path.<name>` is required (what an API Gateway request validator enforces). */
  required: true;
  /**
   * The value's shape as an anchored regular expression source, written with ASCII classes only so it
   * reads the same in JavaScript and in a JSON-schema `pattern`.
   */
  pattern: string;
  maxLength: number;
  description: string;
}

export interface RouteDefinition {
  /** Stable name: CDK construct ids and log lines use it. */
  id: string;
  method: HttpMethod;
  /** API Gateway resource path, `{name}` for a path parameter; segments are literal otherwise. */
  resourcePath: string;
  target: RouteTarget;
  authorization: RouteAuthorization;
  pathParameters: Readonly<Record<string, PathParameter>>;
  /** Whether the stage validates `pathParameters` before calling the integration. */
  validateRequestParameters: boolean;
  description: string;
}

/**
 * UPU S10 shape: 2 letters, 8 serial digits, 1 check digit, 2 letters. The check digit itself is the
 * service's job (`checkParcelId` in @parcel/contract): a request validator can only match a pattern.
 */
export const S10_ID_PATTERN = '^[A-Z]{2}[0-9]{9}[A-Z]{2}$';

const parcelIdParameter: PathParameter = {
  required: true,
  pattern: S10_ID_PATTERN,
  maxLength: 13,
  description: 'UPU S10 parcel id, e.g. RR123456785GB',
};

export const ROUTES = [
  {
    id: 'get-parcel',
    method: 'GET',
    resourcePath: '/parcels/{id}',
    target: 'parcel-api',
    authorization: 'NONE',
    pathParameters: { id: parcelIdParameter },
    validateRequestParameters: true,
    description: 'public: the merged tracking view of one parcel',
  },
  {
    id: 'get-internal-warehouse',
    method: 'GET',
    resourcePath: '/internal/warehouse/{id}',
    target: 'warehouse-query',
    authorization: 'AWS_IAM',
    pathParameters: { id: parcelIdParameter },
    validateRequestParameters: false,
    description: 'internal (Step Functions fan-out): the warehouse record of one parcel',
  },
  {
    id: 'get-internal-vendor',
    method: 'GET',
    resourcePath: '/internal/vendor/{id}',
    target: 'warehouse-query',
    authorization: 'AWS_IAM',
    pathParameters: { id: parcelIdParameter },
    validateRequestParameters: false,
    description: 'internal (Step Functions fan-out): the tracking vendor view of one parcel',
  },
] as const satisfies readonly RouteDefinition[];

export type RouteId = (typeof ROUTES)[number]['id'];

export function routeById(id: RouteId): RouteDefinition {
  const route = ROUTES.find((r) => r.id === id);
  if (!route) throw new Error(`no route ${id}`);
  return route;
}

/** The literal/parameter segments of a resource path: `/parcels/{id}` → `['parcels', '{id}']`. */
export function resourceSegments(resourcePath: string): string[] {
  return resourcePath.split('/').filter((s) => s !== '');
}

/** `{id}` → `id`; a literal segment → undefined. */
export function parameterName(segment: string): string | undefined {
  const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(segment);
  return m ? m[1] : undefined;
}
