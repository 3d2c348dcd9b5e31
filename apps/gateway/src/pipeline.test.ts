import { makeParcelId } from '@parcel/contract';
import { TRACE_KEPT_HEADER } from '@parcel/sampling-rules';
import { describe, expect, it } from 'vitest';
import { GATEWAY_ERRORS } from './gateway-responses';
import { LIMITS } from './limits';
import {
  admit,
  authorise,
  integrationRequest,
  keptHeader,
  respond,
  route,
  type StageRequest,
  type StageRequestSource,
  stageRequest,
  validate,
} from './pipeline';
import { resolveEdgeTrace } from './tracing/edge-trace';

const ID = makeParcelId('RR', '12345678', 'GB');

/** A request as the stage receives it (the fields of an IncomingMessage the steps read). */
function request(url: string, headers: Record<string, string> = {}, method = 'GET'): StageRequest {
  const source: StageRequestSource = {
    method,
    url,
    httpVersion: '1.1',
    headers: { host: 'api.example', ...headers },
    rawHeaders: Object.entries({ host: 'api.example', ...headers }).flat(),
    socket: { remoteAddress: '203.0.113.7' },
  };
  return stageRequest(source, 'local', () =>
    resolveEdgeTrace(undefined, () => ({ sampled: false, ruleName: 'Default' })),
  );
}

const routed = (url: string, headers?: Record<string, string>) => {
  const r = request(url, headers);
  expect(route(r)).toBeUndefined();
  return r;
};

describe('the stage request', () => {
  it('strips the stage from the path and keeps the raw target for the segment', () => {
    const r = request(`/local/parcels/${ID}?verbose=1`);
    expect(r).toMatchObject({
      path: `/parcels/${ID}`,
      rawPath: `/local/parcels/${ID}`,
      rawQuery: 'verbose=1',
    });
    expect(r.responseHeaders['x-amzn-requestid']).toBe(r.requestId);
  });
});

describe('admit', () => {
  it('lets an ordinary request in', () => {
    expect(admit(request(`/parcels/${ID}`))).toBeUndefined();
  });

  it('refuses request line and header values over 10,240 bytes, closing the connection', () => {
    const big = 'x'.repeat(LIMITS.maxRequestLineAndHeaderValuesBytes);
    expect(admit(request(`/parcels/${ID}`, { 'x-big': big }))).toEqual({
      error: GATEWAY_ERRORS.headersTooLarge,
      close: true,
    });
  });

  it('refuses a declared body over the payload limit before reading it', () => {
    const r = request(`/parcels/${ID}`, { 'content-length': String(LIMITS.maxPayloadBytes + 1) });
    expect(admit(r)).toEqual({ error: GATEWAY_ERRORS.requestTooLarge, close: true });
  });
});

describe('route', () => {
  it('finds the route and its parameters', () => {
    const r = routed(`/parcels/${ID}`);
    expect(r.route?.resourcePath).toBe('/parcels/{id}');
    expect(r.params).toEqual({ id: ID });
  });

  it('answers an unknown path or method as API Gateway does: Missing Authentication Token', () => {
    expect(route(request('/nowhere'))).toEqual({ error: GATEWAY_ERRORS.missingAuthenticationToken });
    expect(route(request(`/parcels/${ID}`, {}, 'DELETE'))).toEqual({
      error: GATEWAY_ERRORS.missingAuthenticationToken,
    });
  });
});

describe('authorise', () => {
  const signer = { credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, region: 'us-east-1' };

  it('lets a public route through and parses the query without a prototype', async () => {
    const r = routed(`/parcels/${ID}?constructor=1`);
    expect(await authorise(r, signer)).toBeUndefined();
    expect(r.query?.constructor).toBe('1');
  });

  it('refuses an IAM route without a signature', async () => {
    expect(await authorise(routed(`/internal/warehouse/${ID}`), signer)).toEqual({
      error: GATEWAY_ERRORS.missingAuthenticationToken,
    });
  });
});

describe('validate', () => {
  it('refuses a parcel id of the wrong shape with the parameter named', () => {
    expect(validate(routed('/parcels/not-a-parcel'))).toMatchObject({ error: { status: 400 } });
    expect(validate(routed(`/parcels/${ID}`))).toBeUndefined();
  });
});

describe('the integration request', () => {
  it('forwards end-to-end headers only, extends X-Forwarded-For and passes the trace on', () => {
    const r = routed(`/local/parcels/${ID}?q=1`, {
      connection: 'x-hop',
      'x-hop': '1',
      'x-forwarded-for': '198.51.100.1',
    });
    const { url, headers } = integrationRequest(r, {
      targets: { 'parcel-api': 'http://127.0.0.1:3001', 'warehouse-query': 'http://127.0.0.1:3002' },
      apiId: 'parcelapi',
    });
    expect(url.toString()).toBe(`http://127.0.0.1:3001/parcels/${ID}?q=1`);
    expect(headers).toMatchObject({
      host: '127.0.0.1:3001',
      'x-forwarded-for': '198.51.100.1, 203.0.113.7',
      'x-amzn-apigateway-api-id': 'parcelapi',
    });
    expect(String(headers['x-amzn-trace-id'])).toContain(`Root=${r.trace.traceId}`);
    expect(headers['x-hop']).toBeUndefined();
    expect(headers.connection).toBeUndefined();
  });
});

describe('respond', () => {
  const r = () => routed(`/parcels/${ID}`);

  it('maps each integration failure to the status API Gateway answers', () => {
    const error = new Error('socket hang up');
    expect(respond(r(), { kind: 'timeout' })).toEqual({
      kind: 'error',
      error: GATEWAY_ERRORS.integrationTimeout,
    });
    expect(respond(r(), { kind: 'unavailable', error })).toMatchObject({ error: { status: 503 } });
    expect(respond(r(), { kind: 'bad_gateway', error })).toMatchObject({ error: { status: 502 } });
    expect(respond(r(), { kind: 'too_large' })).toEqual({
      kind: 'error',
      error: GATEWAY_ERRORS.internalServerError,
    });
  });

  it("passes the target's answer on without its length, trace or keep headers", () => {
    const answer = respond(r(), {
      kind: 'response',
      status: 404,
      headers: {
        'content-type': 'application/json',
        'content-length': '2',
        'x-amzn-trace-id': 'Root=x',
        [TRACE_KEPT_HEADER]: 'error',
      },
      body: Buffer.from('{}'),
    });
    expect(answer).toEqual({
      kind: 'proxied',
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{}'),
    });
  });
});

describe('keep-on-error at the stage', () => {
  const keeping = { tracingOn: true, slowMs: 0 };

  it('tells only internal callers why an unsampled request was kept', () => {
    expect(keptHeader(routed(`/internal/warehouse/${ID}`), 500, keeping)).toEqual({
      [TRACE_KEPT_HEADER]: 'error',
    });
    expect(keptHeader(routed(`/parcels/${ID}`), 500, keeping)).toEqual({});
    expect(keptHeader(routed(`/internal/warehouse/${ID}`), 200, keeping)).toEqual({});
  });
});
