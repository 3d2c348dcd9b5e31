import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

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
  /** A lookup within this long after a scan does not scan again. */
  minScanIntervalMs?: number;
  /** Bytes read per read() call. */
  chunkBytes?: number;
}

interface FileCursor {
  offset: number;
  /** The unfinished last line of the previous read. */
  carry: string;
}

const PINO_LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

const MAX_LINE_CHARS = 16 * 1024;

/**
 * The lines of `<dir>/*.log` that carry a `trace_id`, indexed by trace. Files are tailed: each scan reads
 * only the bytes appended since the previous one (a file that shrank was rotated or truncated and is read
 * again from its start), so a lookup costs the new output, never a re-read. Lines without `"trace_id"` are
 * skipped before any JSON parsing. Memory is bounded by `maxTraces` × `maxLinesPerTrace`.
 */
export class LogIndex {
  private readonly byTrace = new Map<string, TraceLogLine[]>();
  private readonly cursors = new Map<string, FileCursor>();
  private scanning: Promise<void> | undefined;
  private lastScan = 0;
  private readonly maxLinesPerTrace: number;
  private readonly maxTraces: number;
  private readonly minScanIntervalMs: number;
  private readonly chunkBytes: number;

  constructor(
    readonly dir: string,
    opts: LogIndexOptions = {},
  ) {
    this.maxLinesPerTrace = opts.maxLinesPerTrace ?? 200;
    this.maxTraces = opts.maxTraces ?? 50_000;
    this.minScanIntervalMs = opts.minScanIntervalMs ?? 200;
    this.chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  }

  /** The trace's log lines from every piece, oldest first, after catching up with the files. */
  async linesOf(traceId: string): Promise<TraceLogLine[]> {
    await this.catchUp();
    const lines = this.byTrace.get(traceId) ?? [];
    return [...lines].sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  }

  get traceCount(): number {
    return this.byTrace.size;
  }

  /** Reads what was appended since the last scan (one scan at a time; recent scans are reused). */
  catchUp(): Promise<void> {
    if (this.scanning) return this.scanning;
    if (Date.now() - this.lastScan < this.minScanIntervalMs) return Promise.resolve();
    this.scanning = this.scan().finally(() => {
      this.lastScan = Date.now();
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scan(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.log'));
    } catch {
      return; // no folder yet: nothing logged
    }
    for (const name of names) await this.tail(name);
  }

  private async tail(name: string): Promise<void> {
    const path = join(this.dir, name);
    let cursor = this.cursors.get(name);
    if (!cursor) {
      cursor = { offset: 0, carry: '' };
      this.cursors.set(name, cursor);
    }
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return;
    }
    if (size < cursor.offset) {
      cursor.offset = 0;
      cursor.carry = '';
    }
    if (size === cursor.offset) return;
    const piece = name.slice(0, -'.log'.length);
    const file = await open(path, 'r');
    try {
      const buffer = Buffer.allocUnsafe(this.chunkBytes);
      while (cursor.offset < size) {
        const { bytesRead } = await file.read(
          buffer,
          0,
          Math.min(buffer.length, size - cursor.offset),
          cursor.offset,
        );
        if (bytesRead === 0) break;
        cursor.offset += bytesRead;
        // A chunk may end inside a multi-byte character: cut at the last newline, in bytes.
        const chunk = buffer.subarray(0, bytesRead);
        const lastNewline = chunk.lastIndexOf(0x0a);
        if (lastNewline < 0) {
          cursor.carry += chunk.toString('utf8');
          if (cursor.carry.length > MAX_LINE_CHARS * 4) cursor.carry = ''; // a runaway line: drop it
          continue;
        }
        const text = cursor.carry + chunk.subarray(0, lastNewline).toString('utf8');
        cursor.carry = chunk.subarray(lastNewline + 1).toString('utf8');
        for (const line of text.split('\n')) this.index(piece, line);
      }
    } finally {
      await file.close();
    }
  }

  private index(piece: string, line: string): void {
    if (!line.includes('"trace_id"') || line.length > MAX_LINE_CHARS) return;
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
