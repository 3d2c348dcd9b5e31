import { checkParcelId, makeParcelId } from '@parcel/contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PATH_LENGTH, matchRoute, pathSegments, validatePathParameters } from './match';
import { ROUTES, routeById, S10_ID_PATTERN } from './routes';

const ID = makeParcelId('RR', '12345678', 'GB');

describe('matchRoute', () => {
  it('routes each table entry to its target with its auth type', () => {
    const parcel = matchRoute('GET', `/parcels/${ID}`);
    expect(parcel).toMatchObject({
      route: { target: 'parcel-api', authorization: 'NONE' },
      params: { id: ID },
    });
    expect(matchRoute('GET', `/internal/warehouse/${ID}`)).toMatchObject({
      route: { id: 'get-internal-warehouse', target: 'warehouse-query', authorization: 'AWS_IAM' },
      params: { id: ID },
    });
    expect(matchRoute('GET', `/internal/vendor/${ID}`)).toMatchObject({
      route: { id: 'get-internal-vendor', target: 'warehouse-query', authorization: 'AWS_IAM' },
    });
  });

  it('decodes parameters', () => {
    expect(matchRoute('GET', '/parcels/a%20b')).toMatchObject({ params: { id: 'a b' } });
  });

  it('tells a wrong method from an unknown path', () => {
    expect(matchRoute('POST', `/parcels/${ID}`)).toEqual({ error: 'method_not_allowed' });
    expect(matchRoute('get', `/parcels/${ID}`)).toEqual({ error: 'method_not_allowed' });
    expect(matchRoute('GET', '/parcels')).toEqual({ error: 'not_found' });
    expect(matchRoute('GET', '/')).toEqual({ error: 'not_found' });
    expect(matchRoute('GET', `/PARCELS/${ID}`)).toEqual({ error: 'not_found' });
    expect(matchRoute('GET', `/parcels/${ID}/extra`)).toEqual({ error: 'not_found' });
    expect(matchRoute('GET', '/internal/other/x')).toEqual({ error: 'not_found' });
  });

  it.each([
    ['encoded slash', '/parcels/a%2Fb'],
    ['encoded slash, lower case', '/parcels/a%2fb'],
    ['encoded backslash', '/parcels/a%5Cb'],
    ['traversal', `/internal/warehouse/../../parcels/${ID}`],
    ['encoded traversal', '/parcels/%2e%2e'],
    ['dot segment', `/parcels/./${ID}`],
    ['double slash', `//parcels/${ID}`],
    ['trailing slash', `/parcels/${ID}/`],
    ['empty parameter', '/parcels/'],
    ['bad percent-encoding', '/parcels/%E0%A4%A'],
    ['encoded NUL', '/parcels/a%00b'],
    ['relative', `parcels/${ID}`],
    ['absolute URL', `http://x/parcels/${ID}`],
    ['overlong', `/parcels/${'A'.repeat(MAX_PATH_LENGTH)}`],
    ['overlong segment', `/parcels/${'A'.repeat(2000)}`],
  ])('refuses a hostile path: %s', (_name, path) => {
    expect(matchRoute('GET', path)).toEqual({ error: 'not_found' });
  });

  it('never throws, and a match always has every parameter of its route, unencoded and slash-free', () => {
    const pathChars = fc.constantFrom(
      ..."/%.aZ09-_~:@!$&'()*+,;=%2F%2e%00\\ ".split(''),
      '%2F',
      '%2e',
      '%',
      '..',
    );
    const hostilePath = fc
      .array(
        fc.oneof(pathChars, fc.string(), fc.constantFrom('parcels', 'internal', 'warehouse', 'vendor', ID)),
        {
          maxLength: 12,
        },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(
        fc.oneof(hostilePath, fc.string({ unit: 'binary' })),
        fc.string({ maxLength: 8 }),
        (path, method) => {
          const result = matchRoute(method, path);
          if ('route' in result) {
            for (const name of Object.keys(result.route.pathParameters)) {
              const value = result.params[name];
              expect(typeof value).toBe('string');
              expect(value).not.toMatch(/[/\\]/);
              expect(value).not.toBe('..');
            }
            expect(result.route.method).toBe(method);
          } else {
            expect(['not_found', 'method_not_allowed']).toContain(result.error);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('matches exactly the paths built from the table', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ROUTES), fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), (route, id) => {
        const path = route.resourcePath.replace('{id}', encodeURIComponent(id));
        expect(matchRoute(route.method, path)).toEqual({ route, params: { id } });
      }),
    );
  });
});

describe('pathSegments', () => {
  it('splits and decodes', () => {
    expect(pathSegments('/a/b%20c')).toEqual(['a', 'b c']);
    expect(pathSegments('')).toBeUndefined();
  });
});

describe('validatePathParameters', () => {
  const parcels = routeById('get-parcel');

  it('accepts every id the contract accepts (the pattern is the S10 shape)', () => {
    const serial = fc.stringMatching(/^[0-9]{8}$/);
    const letters = fc.stringMatching(/^[A-Z]{2}$/);
    fc.assert(
      fc.property(letters, serial, letters, (service, s, country) => {
        const id = makeParcelId(service, s, country);
        expect(checkParcelId(id).ok).toBe(true);
        expect(validatePathParameters(parcels, { id })).toEqual([]);
      }),
    );
  });

  it('rejects what is not S10-shaped; leaves the check digit to the service', () => {
    expect(validatePathParameters(parcels, { id: 'rr123456785gb' })).toEqual([
      { name: 'id', reason: 'pattern' },
    ]);
    expect(validatePathParameters(parcels, { id: `${ID}X` })).toEqual([{ name: 'id', reason: 'too_long' }]);
    expect(validatePathParameters(parcels, {})).toEqual([{ name: 'id', reason: 'missing' }]);
    expect(validatePathParameters(parcels, { id: "' OR 1=1" })).toEqual([{ name: 'id', reason: 'pattern' }]);
    const wrongCheckDigit = `${ID.slice(0, 10)}${(Number(ID[10]) + 1) % 10}${ID.slice(11)}`;
    expect(validatePathParameters(parcels, { id: wrongCheckDigit })).toEqual([]);
  });

  it('is a no-op on routes without request validation', () => {
    expect(validatePathParameters(routeById('get-internal-vendor'), { id: 'anything' })).toEqual([]);
  });

  it('exposes the pattern as an anchored source usable in a JSON schema', () => {
    expect(S10_ID_PATTERN.startsWith('^') && S10_ID_PATTERN.endsWith('$')).toBe(true);
    expect(new RegExp(S10_ID_PATTERN).test(ID)).toBe(true);
  });
});
