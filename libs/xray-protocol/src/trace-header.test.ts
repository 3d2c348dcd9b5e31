import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newSegmentId, newTraceId } from './ids';
import { formatTraceHeader, isTraceId, parseTraceHeader, traceIdEpochSeconds } from './trace-header';

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const root = fc.tuple(hex(8), hex(24)).map(([a, b]) => `1-${a}-${b}`);

describe('X-Amzn-Trace-Id', () => {
  it('parses the canonical form', () => {
    const h = parseTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
    expect(h).toEqual({
      root: '1-5759e988-bd862e3fe1be46a994272793',
      parent: '53995c3f42cd8ad8',
      sampled: '1',
      extra: [],
    });
  });

  it('carries unknown fields on verbatim, in order', () => {
    const raw =
      'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?;Lineage=a87bd80c:1|68fd508a:5;Self=1-67891234-abc';
    const h = parseTraceHeader(raw);
    expect(h?.sampled).toBe('?');
    expect(h && formatTraceHeader(h)).toBe(raw);
  });

  it('round-trips every well-formed header', () => {
    fc.assert(
      fc.property(root, fc.option(hex(16)), fc.option(fc.constantFrom('0', '1', '?')), (r, p, s) => {
        let raw = `Root=${r}`;
        if (p) raw += `;Parent=${p}`;
        if (s) raw += `;Sampled=${s}`;
        const parsed = parseTraceHeader(raw);
        return parsed !== undefined && formatTraceHeader(parsed) === raw;
      }),
    );
  });

  it('rejects hostile values without throwing', () => {
    for (const raw of [
      '',
      'Root=',
      'Root=1-5759e988-bd862e3fe1be46a994272793\r\nX-Evil: 1',
      'Root=1-5759e988-bd862e3fe1be46a99427279',
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=xyz',
      'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=2',
      'Root=1-5759e988-bd862e3fe1be46a994272793;Root=1-5759e988-bd862e3fe1be46a994272794',
      `Root=1-5759e988-bd862e3fe1be46a994272793;${'A=b;'.repeat(1000)}`,
      'Parent=53995c3f42cd8ad8;Sampled=1',
      'Root=1-5759e988-bd862e3fe1be46a994272793;Evil=\u0000',
    ]) {
      expect(parseTraceHeader(raw)).toBeUndefined();
    }
  });

  it('never throws, and what it accepts formats to a header-safe value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (raw) => {
        const h = parseTraceHeader(raw);
        if (h === undefined) return true;
        return /^[\x21-\x7e]+$/.test(formatTraceHeader(h)) && isTraceId(h.root);
      }),
    );
  });

  it('generates ids of the right shape, with the time in the trace id', () => {
    const now = Date.UTC(2026, 10, 25, 12);
    const id = newTraceId(now);
    expect(isTraceId(id)).toBe(true);
    expect(traceIdEpochSeconds(id)).toBe(now / 1000);
    const ids = new Set(Array.from({ length: 5000 }, newSegmentId));
    expect(ids.size).toBe(5000);
    for (const s of ids) expect(s).toMatch(/^[0-9a-f]{16}$/);
  });
});
