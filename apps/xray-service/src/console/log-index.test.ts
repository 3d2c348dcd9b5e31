import { appendFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../testing/temp-dir';
import { LogIndex } from './log-index';
import { LogTailer } from './log-tailer';

const T1 = '1-6b06d7db-b304b7fa44380266bad890c2';
const T2 = '1-6b06d7da-a846d4f291d3c5fc5db19dd1';
const tempDir = useTempDir('log-index-');

const line = (fields: Record<string, unknown>) => `${JSON.stringify(fields)}\n`;

describe('LogIndex', () => {
  it('finds a trace’s lines in every piece’s file, in time order, with pino’s two formats read', async () => {
    writeFileSync(
      join(tempDir(), 'parcel-api.log'),
      'a plain warning, not JSON\n' +
        line({ level: 'warn', time: '2026-11-25T12:43:07.625Z', trace_id: T1, msg: 'cache read failed' }) +
        line({ level: 'info', time: '2026-11-25T12:43:07.600Z', msg: 'no trace here' }),
    );
    writeFileSync(
      join(tempDir(), 'gateway.log'),
      line({ level: 30, time: Date.parse('2026-11-25T12:43:07.500Z'), trace_id: T1, msg: 'request' }),
    );
    writeFileSync(join(tempDir(), 'notes.txt'), line({ trace_id: T1, msg: 'not a log file' }));
    const index = new LogIndex(new LogTailer(tempDir(), { minScanIntervalMs: 0 }));
    const lines = await index.linesOf(T1);
    expect(lines.map((l) => [l.piece, l.level, l.msg])).toEqual([
      ['gateway', 'info', 'request'],
      ['parcel-api', 'warn', 'cache read failed'],
    ]);
    expect(lines[1]?.raw).toContain('"trace_id"');
    expect(await index.linesOf(T2)).toEqual([]);
  });

  it('reads only what was appended, including a line split across two writes', async () => {
    const file = join(tempDir(), 'warehouse-query.log');
    writeFileSync(file, line({ trace_id: T1, msg: 'one' }));
    const index = new LogIndex(new LogTailer(tempDir(), { minScanIntervalMs: 0, chunkBytes: 16 }));
    expect(await index.linesOf(T1)).toHaveLength(1);
    const half = line({ trace_id: T1, msg: 'two ünïcode' });
    appendFileSync(file, half.slice(0, 20));
    expect(await index.linesOf(T1)).toHaveLength(1);
    appendFileSync(file, half.slice(20) + line({ trace_id: T2, msg: 'three' }));
    expect((await index.linesOf(T1)).map((l) => l.msg)).toEqual(['one', 'two ünïcode']);
    expect((await index.linesOf(T2)).map((l) => l.msg)).toEqual(['three']);
  });

  it('starts over on a truncated file and bounds what it keeps', async () => {
    const file = join(tempDir(), 'x.log');
    writeFileSync(file, Array.from({ length: 5 }, (_, i) => line({ trace_id: T1, msg: `m${i}` })).join(''));
    const index = new LogIndex(new LogTailer(tempDir(), { minScanIntervalMs: 0 }), {
      maxLinesPerTrace: 3,
      maxTraces: 1,
    });
    expect(await index.linesOf(T1)).toHaveLength(3);
    truncateSync(file, 0);
    writeFileSync(file, line({ trace_id: T2, msg: 'after rotation' }));
    expect((await index.linesOf(T2)).map((l) => l.msg)).toEqual(['after rotation']);
    expect(index.traceCount).toBe(1); // T1 forgotten: one trace kept
  });

  it('answers for a folder that does not exist yet', async () => {
    expect(await new LogIndex(new LogTailer(join(tempDir(), 'missing'))).linesOf(T1)).toEqual([]);
  });
});
