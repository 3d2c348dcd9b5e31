import { invalidRequest } from './api-error';

/**
 * Reads a timestamp member of a request. The AWS SDKs and CLI send REST-JSON timestamps as epoch seconds
 * (a number, possibly fractional); people with curl send ISO strings. Anything else is a bad request.
 */
export function readEpochSeconds(value: unknown, member: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const asNumber = Number(value);
    if (Number.isFinite(asNumber)) return asNumber;
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms / 1000;
  }
  throw invalidRequest(`${member} must be a timestamp (epoch seconds or ISO 8601)`);
}
