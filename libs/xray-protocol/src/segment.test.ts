import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { statusFlags } from './segment';

// X-Ray Developer Guide, "Segment documents" (HTTP request data): error for 4xx, throttle for 429 (a
// client error too), fault for 5xx.
describe('statusFlags', () => {
  it.each([
    [200, {}],
    [304, {}],
    [400, { error: true }],
    [404, { error: true }],
    [429, { error: true, throttle: true }],
    [499, { error: true }],
    [500, { fault: true }],
    [503, { fault: true }],
  ])('%i → %o', (status, flags) => {
    expect(statusFlags(status)).toEqual(flags);
  });

  it('never marks one status both error and fault, and marks every status of 400 and above', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), (status) => {
        const flags = statusFlags(status);
        expect(flags.error && flags.fault).toBeFalsy();
        expect(Boolean(flags.error || flags.fault)).toBe(status >= 400);
      }),
    );
  });
});
