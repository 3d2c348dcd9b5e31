import type { LogTailer } from './log-tailer';

/** One JSON log line that carries a trace id, as the console shows it. */
export interface TraceLogLine {
  /** The piece that wrote it: the `<piece>.log` file name. */
  piece: string;
  /** Epoch milliseconds (pino writes numbers or ISO strings, depending on the logger's options). */
  time?: number;
  /** Level label (`info`, `warn`, …); pino's numeric levels are translated. */
  level?: string;
  msg?: string;
  /** The line as written (the console renders it as text). */
  raw: string;
}

export interface LogIndexOptions {
  /** Lines kept per trace; later ones are counted, not kept. */
  maxLinesPerTrace?: number;
  /** Traces kept; the first indexed is forgotten first. */
  maxTraces?: number;
}

const PINO_LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/**
 * The lines of `<dir>/*.log` that carry a `trace_id`, indexed by trace, as the tailer reads them. Lines
 * without `"trace_id"` are skipped before any JSON parsing. Memory is bounded by `maxTraces` ×
 * `maxLinesPerTrace`.
 */
export class LogIndex {
  private readonly byTrace = new Map<string, TraceLogLine[]>();
  private readonly maxLinesPerTrace: number;
  private readonly maxTraces: number;

  constructor(
    private readonly tailer: LogTailer,
    opts: LogIndexOptions = {},
  ) {
    this.maxLinesPerTrace = opts.maxLinesPerTrace ?? 200;
    this.maxTraces = opts.maxTraces ?? 50_000;
    tailer.subscribe((piece, line) => this.index(piece, line));
  }

  /** The trace's log lines from every piece, oldest first, after catching up with the files. */
  async linesOf(traceId: string): Promise<TraceLogLine[]> {
    await this.tailer.catchUp();
    const lines = this.byTrace.get(traceId) ?? [];
    return [...lines].sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  }

  get traceCount(): number {
    return this.byTrace.size;
  }

  private index(piece: string, line: string): void {
    if (!line.includes('"trace_id"')) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const fields = parsed as Record<string, unknown>;
    const traceId = fields.trace_id;
    if (typeof traceId !== 'string' || traceId.length > 64) return;
    let lines = this.byTrace.get(traceId);
    if (!lines) {
      lines = [];
      this.byTrace.set(traceId, lines);
      while (this.byTrace.size > this.maxTraces) {
        this.byTrace.delete(this.byTrace.keys().next().value as string);
      }
    }
    if (lines.length >= this.maxLinesPerTrace) return;
    lines.push({
      piece,
      raw: line,
      ...timeOf(fields.time),
      ...levelOf(fields.level),
      ...(typeof fields.msg === 'string' ? { msg: fields.msg } : {}),
    });
  }
}

function timeOf(value: unknown): { time?: number } {
  if (typeof value === 'number' && Number.isFinite(value)) return { time: value };
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return { time: ms };
  }
  return {};
}

function levelOf(value: unknown): { level?: string } {
  if (typeof value === 'string') return { level: value };
  if (typeof value === 'number') return { level: PINO_LEVELS[value] ?? String(value) };
  return {};
}
