import { describe, expect, it } from 'vitest';
import { parseArgs, parseDuration, parseGroupBy, parseTime, parseWindow, UsageError } from './args';

describe('traces CLI arguments', () => {
  it('reads durations', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(() => parseDuration('15 minutes')).toThrow(UsageError);
  });

  it('reads times as ISO 8601 or epoch seconds', () => {
    expect(parseTime('2026-12-01T10:02:00Z').toISOString()).toBe('2026-12-01T10:02:00.000Z');
    expect(parseTime('1764583320').toISOString()).toBe('2025-12-01T10:02:00.000Z');
    expect(parseTime('1764583320.5').getTime()).toBe(1_764_583_320_500);
    for (const bad of ['', 'yesterday', '12/13/14/15', '-5'])
      expect(() => parseTime(bad)).toThrow(UsageError);
  });

  it('reads the window from --since, or --from and --to', () => {
    const now = new Date('2026-12-01T10:15:00Z');
    const window = (entries: [string, string][]) => parseWindow(new Map(entries), now);
    expect(window([])).toEqual({ start: new Date('2026-12-01T10:00:00Z'), end: now });
    expect(window([['since', '90s']])).toEqual({ start: new Date('2026-12-01T10:13:30Z'), end: now });
    expect(window([['from', '2026-12-01T10:02:00Z']])).toEqual({
      start: new Date('2026-12-01T10:02:00Z'),
      end: now,
    });
    expect(
      window([
        ['from', '2026-12-01T10:02:00Z'],
        ['to', '2026-12-01T10:05:00Z'],
      ]),
    ).toEqual({ start: new Date('2026-12-01T10:02:00Z'), end: new Date('2026-12-01T10:05:00Z') });
    expect(() => window([['to', '2026-12-01T10:05:00Z']])).toThrow(UsageError);
    expect(() =>
      window([
        ['since', '5m'],
        ['from', '2026-12-01T10:02:00Z'],
      ]),
    ).toThrow(UsageError);
    expect(() =>
      window([
        ['from', '2026-12-01T10:05:00Z'],
        ['to', '2026-12-01T10:02:00Z'],
      ]),
    ).toThrow(UsageError);
  });

  it('reads grouping', () => {
    expect(parseGroupBy('service')).toEqual({ by: 'service' });
    expect(parseGroupBy('annotation:parcel_id')).toEqual({ by: 'annotation', key: 'parcel_id' });
    expect(() => parseGroupBy('annotation:')).toThrow(UsageError);
  });

  it('reads commands and options', () => {
    const c = parseArgs(['analyze', '--since', '5m', '--filter=service("parcel-api") { fault }']);
    expect(c.name).toBe('analyze');
    expect(c.options.get('since')).toBe('5m');
    expect(c.options.get('filter')).toBe('service("parcel-api") { fault }');
    expect(parseArgs(['show', '1-5759e988-bd862e3fe1be46a994272793']).positional).toHaveLength(1);
    expect(() => parseArgs(['delete'])).toThrow(UsageError);
    expect(() => parseArgs(['analyze', '--since'])).toThrow(/needs a value/);
  });
});
