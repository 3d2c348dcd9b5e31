import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface LogTailerOptions {
  /** A catch-up within this long after a scan does not scan again. */
  minScanIntervalMs?: number;
  /** Bytes read per read() call. */
  chunkBytes?: number;
}

/** Receives every complete line appended to `<piece>.log` (without its newline). */
export type LineConsumer = (piece: string, line: string) => void;

interface FileCursor {
  offset: number;
  /** The unfinished last line of the previous read. */
  carry: string;
}

/** A line longer than this is no log line any piece writes: it is dropped, not buffered. */
export const MAX_LINE_CHARS = 16 * 1024;

/**
 * Follows `<dir>/*.log` (the local stack's supervisor writes one per piece): each scan reads only the bytes
 * appended since the previous one (a file that shrank was rotated or truncated and is read again from its
 * start), so catching up costs the new output, never a re-read. Every consumer sees every line once; the
 * indexes (trace log lines, EMF metrics) share one tailer, so each file is read once for all of them.
 */
export class LogTailer {
  private readonly consumers: LineConsumer[] = [];
  private readonly cursors = new Map<string, FileCursor>();
  private scanning: Promise<void> | undefined;
  private lastScan = 0;
  private readonly minScanIntervalMs: number;
  private readonly chunkBytes: number;

  constructor(
    readonly dir: string,
    opts: LogTailerOptions = {},
  ) {
    this.minScanIntervalMs = opts.minScanIntervalMs ?? 200;
    this.chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  }

  /** Adds a consumer; it sees the lines read from now on. */
  subscribe(consumer: LineConsumer): void {
    this.consumers.push(consumer);
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
        for (const line of text.split('\n')) {
          if (line.length > MAX_LINE_CHARS) continue;
          for (const consume of this.consumers) consume(piece, line);
        }
      }
    } finally {
      await file.close();
    }
  }
}
