/**
 * UPU S10 item identifiers: two service letters, an eight-digit serial, a check digit and the ISO 3166
 * country code of the issuing post, e.g. `RR123456785GB`.
 */
const S10_PATTERN = /^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$/;
const WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7] as const;
export const S10_LENGTH = 13;

/** The S10 check digit of an eight-digit serial. */
export function s10CheckDigit(serial: string): number {
  if (!/^\d{8}$/.test(serial)) throw new RangeError(`serial must be 8 digits, got "${serial}"`);
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(serial[i]) * (WEIGHTS[i] as number);
  const check = 11 - (sum % 11);
  if (check === 10) return 0;
  if (check === 11) return 5;
  return check;
}

export type ParcelIdCheck =
  | { ok: true; id: string }
  | { ok: false; reason: 'too_long' | 'format' | 'check_digit'; message: string };

/** Validates a parcel id exactly as it arrived: no trimming, no case folding, ASCII only. */
export function checkParcelId(raw: string): ParcelIdCheck {
  if (raw.length > S10_LENGTH) {
    return { ok: false, reason: 'too_long', message: `parcel id must be ${S10_LENGTH} characters` };
  }
  const match = S10_PATTERN.exec(raw);
  if (!match) {
    return {
      ok: false,
      reason: 'format',
      message: 'parcel id must be a UPU S10 identifier: 2 letters, 8 digits, a check digit, 2 letters',
    };
  }
  const [, , serial, check] = match as unknown as [string, string, string, string, string];
  if (s10CheckDigit(serial) !== Number(check)) {
    return { ok: false, reason: 'check_digit', message: 'parcel id check digit does not match' };
  }
  return { ok: true, id: raw };
}

export function isParcelId(raw: string): boolean {
  return checkParcelId(raw).ok;
}

/** Builds a valid id from its parts; used for sample data and tests. */
export function makeParcelId(service: string, serial: string, country: string): string {
  return `${service}${serial}${s10CheckDigit(serial)}${country}`;
}
