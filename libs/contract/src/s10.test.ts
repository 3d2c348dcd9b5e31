import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkParcelId, makeParcelId, S10_LENGTH, s10CheckDigit } from './s10';
import { SAMPLE_PARCELS } from './sample-parcels';

const serial = fc.stringMatching(/^\d{8}$/);
const letters = fc.stringMatching(/^[A-Z]{2}$/);

describe('S10 parcel ids', () => {
  it('accepts the documented examples', () => {
    for (const id of ['RR123456785GB', 'CP987654326DE', 'LX314159268US', 'EE271828189FR']) {
      expect(checkParcelId(id)).toEqual({ ok: true, id });
    }
  });

  it('accepts every sample parcel', () => {
    for (const p of SAMPLE_PARCELS) expect(checkParcelId(p.id).ok).toBe(true);
  });

  it('computes the check digit per UPU S10 (10 → 0, 11 → 5)', () => {
    expect(s10CheckDigit('12345678')).toBe(5);
    expect(s10CheckDigit('00000000')).toBe(5);
    fc.assert(fc.property(serial, (s) => s10CheckDigit(s) >= 0 && s10CheckDigit(s) <= 9));
  });

  it('round-trips every built id', () => {
    fc.assert(fc.property(letters, serial, letters, (a, s, c) => checkParcelId(makeParcelId(a, s, c)).ok));
  });

  it('rejects any single-digit change of the check digit', () => {
    fc.assert(
      fc.property(letters, serial, letters, fc.integer({ min: 1, max: 9 }), (a, s, c, delta) => {
        const good = makeParcelId(a, s, c);
        const digit = (Number(good[10]) + delta) % 10;
        const bad = `${good.slice(0, 10)}${digit}${good.slice(11)}`;
        const result = checkParcelId(bad);
        return !result.ok && result.reason === 'check_digit';
      }),
    );
  });

  it('never accepts arbitrary strings that are not 13 ASCII characters of the S10 shape', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const result = checkParcelId(s);
        if (result.ok) return /^[A-Z]{2}\d{9}[A-Z]{2}$/.test(s);
        return true;
      }),
    );
  });

  it('names the reason for hostile ids', () => {
    expect(checkParcelId('RR123456785GB'.repeat(3))).toMatchObject({ ok: false, reason: 'too_long' });
    expect(checkParcelId("RR1234' OR 1=")).toMatchObject({ ok: false, reason: 'format' });
    expect(checkParcelId('../../etc/pas')).toMatchObject({ ok: false, reason: 'format' });
    // Cyrillic Р (U+0420) looks like R.
    expect(checkParcelId('\u0420R123456785GB')).toMatchObject({ ok: false, reason: 'format' });
    expect(checkParcelId('rr123456785gb')).toMatchObject({ ok: false, reason: 'format' });
    expect(checkParcelId('')).toMatchObject({ ok: false, reason: 'format' });
    expect(S10_LENGTH).toBe(13);
  });
});
