import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newSegmentId, newTraceId } from './ids';
import {
  formatTraceHeader,
  formatTraceHeaderWithin,
  isTraceId,
  parseTraceHeader,
  STEP_FUNCTIONS_TRACE_HEADER_LIMIT,
  traceHeaderWithin,
  traceIdEpochSeconds,
} from './trace-header';

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

describe('a trace header for an AWS API with a length limit (Step Functions traceHeader: 256)', () => {
  const ROOT = '1-5759e988-bd862e3fe1be46a994272793';
  const base = { root: ROOT, parent: '53995c3f42cd8ad8', sampled: '1' as const };

  it('keeps Root, Parent and Sampled, then the extras that fit, in order', () => {
    const lineage = `Lineage=${'a'.repeat(232)}`;
    const raw = `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1;${lineage};Self=1-67891234-abc`;
    const cut = traceHeaderWithin(raw, STEP_FUNCTIONS_TRACE_HEADER_LIMIT);
    // The 240-character Lineage does not fit next to the trace fields; the short Self does.
    expect(cut).toBe(`Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Self=1-67891234-abc`);
    const four = Array.from({ length: 4 }, (_, i) => [`K${i}`, 'v'.repeat(47)] as [string, string]);
    const header = formatTraceHeaderWithin({ ...base, extra: four }, STEP_FUNCTIONS_TRACE_HEADER_LIMIT);
    expect(header.length).toBeLessThanOrEqual(256);
    expect(parseTraceHeader(header)?.extra).toEqual(four.slice(0, 3));
  });

  it('leaves a header that fits, and an absent one, as they are', () => {
    const raw = `Root=${ROOT};Sampled=0;Lineage=a87bd80c:1`;
    expect(traceHeaderWithin(raw, 256)).toBe(raw);
    expect(traceHeaderWithin(undefined, 256)).toBeUndefined();
  });

  it('always fits, always keeps the trace, and keeps extras only verbatim and in order (fast-check)', () => {
    const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,20}$/);
    const value = fc.stringMatching(/^[\x21-\x3a\x3c-\x7e]{0,120}$/);
    fc.assert(
      fc.property(
        root,
        fc.option(hex(16), { nil: undefined }),
        fc.constantFrom('0', '1', '?'),
        fc.array(fc.tuple(key, value), { maxLength: 8 }),
        (r, parent, sampled, extra) => {
          const header = { root: r, ...(parent ? { parent } : {}), sampled, extra } as const;
          const out = formatTraceHeaderWithin(header, STEP_FUNCTIONS_TRACE_HEADER_LIMIT);
          expect(out.length).toBeLessThanOrEqual(STEP_FUNCTIONS_TRACE_HEADER_LIMIT);
          const back = parseTraceHeader(out);
          expect(back).toMatchObject({ root: r, sampled, ...(parent ? { parent } : {}) });
          // A subsequence of the original extras.
          let at = 0;
          for (const field of back?.extra ?? []) {
            while (at < extra.length && JSON.stringify(extra[at]) !== JSON.stringify(field)) at++;
            expect(at, JSON.stringify(field)).toBeLessThan(extra.length);
            at++;
          }
          if (formatTraceHeader(header).length <= STEP_FUNCTIONS_TRACE_HEADER_LIMIT) {
            expect(out).toBe(formatTraceHeader(header));
          }
        },
      ),
    );
  });
});
