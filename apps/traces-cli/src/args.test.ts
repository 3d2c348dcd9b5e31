import { describe, expect, it } from 'vitest';
import { parseArgs, parseDuration, parseGroupBy, UsageError } from './args';

describe('traces CLI arguments', () => {
  it('reads durations', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(() => parseDuration('15 minutes')).toThrow(UsageError);
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
