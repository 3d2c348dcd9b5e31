import { makeParcelId } from '@parcel/contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pathShapeRegexes, shapeCheckedRoutes } from './edge-shape';
import { matchRoute, validatePathParameters } from './match';
import { ROUTES, routeById } from './routes';

const ID = makeParcelId('RR', '12345678', 'GB');
const parcelRoute = routeById('get-parcel');
const shape = pathShapeRegexes(parcelRoute, 'prod');
const routed = new RegExp(shape.routed);
const valid = new RegExp(shape.valid);

/** WAF's URL_DECODE text transformation: %XX sequences decoded, anything malformed left as it is. */
const wafUrlDecode = (path: string) =>
  path.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

/** What the gateway stand-in lets through to the integration (route found, parameters validated). */
function standInAccepts(path: string): boolean {
  const match = matchRoute('GET', path);
  return (
    'route' in match &&
    match.route.id === parcelRoute.id &&
    validatePathParameters(match.route, match.params).length === 0
  );
}

describe('the edge shape check (WAF regex rule) from the route table', () => {
  it('covers exactly the routes the stage validates', () => {
    expect(shapeCheckedRoutes(ROUTES).map((r) => r.id)).toEqual(['get-parcel']);
  });

  it('matches the route with or without the stage prefix, and its shape only for a valid id', () => {
    for (const path of [`/parcels/${ID}`, `/prod/parcels/${ID}`]) {
      expect(routed.test(path), path).toBe(true);
      expect(valid.test(path), path).toBe(true);
    }
    for (const path of ['/parcels/rr123456785gb', '/parcels/RR123456785GBX', '/parcels/']) {
      expect(routed.test(path) && !valid.test(path), path).toBe(true);
    }
    for (const path of [
      `/internal/warehouse/${ID}`,
      `/other/parcels/${ID}`,
      '/parcels',
      `/parcels/${ID}/x`,
    ]) {
      expect(routed.test(path), path).toBe(false);
    }
  });

  it('lets through exactly what the stand-in validator accepts (fast-check)', () => {
    const unit = fc.constantFrom(...'RGBX0123456789%2Fazé/ .;\'"'.split(''));
    const id = fc.oneof(
      fc.constant(ID),
      fc.string({ unit, maxLength: 20 }),
      // A valid id with some characters percent-encoded: both sides decode it.
      fc
        .array(fc.boolean(), { minLength: ID.length, maxLength: ID.length })
        .map((enc) => [...ID].map((c, i) => (enc[i] ? `%${c.charCodeAt(0).toString(16)}` : c)).join('')),
    );
    fc.assert(
      fc.property(id, fc.boolean(), (value, withStage) => {
        const path = `/parcels/${value}`;
        const wire = withStage ? `/prod${path}` : path;
        const decoded = wafUrlDecode(wire);
        // Malformed escapes are refused by both (the stand-in with 403, WAF with the rule's 400).
        const blockedByWaf = routed.test(decoded) && !valid.test(decoded);
        if (routed.test(decoded)) expect(!blockedByWaf, `${wire}`).toBe(standInAccepts(path));
      }),
      { numRuns: 500 },
    );
  });
});
