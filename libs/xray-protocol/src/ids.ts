import { randomBytes } from 'node:crypto';

// Ids are drawn from a pooled buffer: one crypto call per 512 ids instead of one per id, on a hot path.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/** A new X-Ray trace id, `1-{epoch seconds hex}-{96 random bits}`. */
export function newTraceId(nowMs: number = Date.now()): string {
  return `1-${Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0')}-${randomHex(12)}`;
}

/** A new 64-bit segment id as 16 hex digits. */
export function newSegmentId(): string {
  return randomHex(8);
}
