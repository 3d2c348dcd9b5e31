import { type GroupBy, parseGroupBy as parseAnalysisGroupBy } from '@parcel/trace-analysis';

export class UsageError extends Error {}

export const USAGE = `Usage:
  npm run traces -- analyze [--since 15m | --from TIME [--to TIME]] [--filter EXPR] [--group-by name|service|annotation:KEY|rootcause:fault|rootcause:responsetime] [--limit N]
  npm run traces -- show <trace-id>
Options: --endpoint URL (default: XRAY_ENDPOINT or http://127.0.0.1:2020)
TIME: ISO 8601 (2026-12-01T10:02:00Z) or epoch seconds; --to defaults to now`;

/** `15m`, `90s`, `2h`, `1d` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new UsageError(`cannot read "${text}" as a duration (try 90s, 15m, 2h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    m[2] as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return Number(m[1]) * unit;
}

/** `2026-12-01T10:02:00Z` or epoch seconds (`1764583320`, as the X-Ray API takes them) → a Date. */
export function parseTime(text: string): Date {
  const trimmed = text.trim();
  const epoch = /^\d+(\.\d+)?$/.test(trimmed);
  // Only ISO 8601's shape: Date's own parser also takes forms like `12/13/14/15`, read as some date.
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed);
  const time = epoch ? new Date(Number(trimmed) * 1000) : new Date(iso ? trimmed : Number.NaN);
  if (Number.isNaN(time.getTime()))
    throw new UsageError(`cannot read "${text}" as a time (try 2026-12-01T10:02:00Z or epoch seconds)`);
  return time;
}

/** The analysis window: `--from`/`--to`, or the `--since` before now (15 minutes by default). */
export function parseWindow(
  options: ReadonlyMap<string, string>,
  now = new Date(),
): { start: Date; end: Date } {
  const from = options.get('from');
  const to = options.get('to');
  const since = options.get('since');
  if (since !== undefined && (from !== undefined || to !== undefined))
    throw new UsageError('--since and --from/--to are two ways to say the window: give one');
  if (from === undefined) {
    if (to !== undefined) throw new UsageError('--to needs --from');
    return { start: new Date(now.getTime() - parseDuration(since ?? '15m')), end: now };
  }
  const start = parseTime(from);
  const end = to === undefined ? now : parseTime(to);
  if (!(start < end)) throw new UsageError('--from must be before --to');
  return { start, end };
}

export function parseGroupBy(text: string): GroupBy {
  const groupBy = parseAnalysisGroupBy(text);
  if (groupBy) return groupBy;
  throw new UsageError(
    `--group-by takes name, service, annotation:KEY or rootcause:fault|error|responsetime, not "${text}"`,
  );
}

export interface Command {
  name: 'analyze' | 'show';
  positional: string[];
  options: Map<string, string>;
}

export function parseArgs(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  if (name !== 'analyze' && name !== 'show') throw new UsageError(USAGE);
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) options.set(arg.slice(2, eq), arg.slice(eq + 1));
      else {
        const value = rest[i + 1];
        if (value === undefined) throw new UsageError(`${arg} needs a value`);
        options.set(arg.slice(2), value);
        i++;
      }
    } else positional.push(arg);
  }
  return { name, positional, options };
}
