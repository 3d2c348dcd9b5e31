import { createLogger } from '@parcel/tracing/logger';
import { describe, expect, it } from 'vitest';
import { SegmentPipeline } from './segment-pipeline';

const logger = createLogger({ level: 'silent' });

describe('SegmentPipeline', () => {
  it('sends a partial batch after the flush interval, full batches at once', async () => {
    const batches: string[][] = [];
    const p = new SegmentPipeline({
      capacityBytes: 1 << 20,
      batchSize: 3,
      flushIntervalMs: 40,
      concurrency: 4,
      upload: async (docs) => {
        batches.push(docs);
        return { unprocessed: 0 };
      },
      logger,
    });
    for (const d of ['a', 'b', 'c', 'd']) p.accept(d, 1);
    await new Promise((r) => setTimeout(r, 0));
    expect(batches).toEqual([['a', 'b', 'c']]);
    await new Promise((r) => setTimeout(r, 80));
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
    expect(p.stats).toMatchObject({ received: 4, forwarded: 4, buffered: 0, inFlight: 0, bufferedBytes: 0 });
    p.close();
  });

  it('never has more than `concurrency` uploads in flight, and counts refused segments as dropped', async () => {
    let inFlight = 0;
    let peak = 0;
    const p = new SegmentPipeline({
      capacityBytes: 1 << 20,
      batchSize: 2,
      flushIntervalMs: 10,
      concurrency: 2,
      upload: async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return { unprocessed: 1 };
      },
      logger,
    });
    for (let i = 0; i < 20; i++) p.accept(`s${i}`, 1);
    await p.drain();
    expect(peak).toBe(2);
    expect(p.stats).toMatchObject({ received: 20, forwarded: 10, dropped: 10 });
    expect(p.stats.droppedByReason.rejected_by_service).toBe(10);
    p.close();
  });

  it('a synchronous throw from the uploader is a failed upload, not a crash', async () => {
    const p = new SegmentPipeline({
      capacityBytes: 1 << 20,
      batchSize: 1,
      flushIntervalMs: 10,
      concurrency: 1,
      upload: () => {
        throw new Error('boom');
      },
      logger,
    });
    p.accept('x', 1);
    await p.drain();
    expect(p.stats).toMatchObject({ received: 1, dropped: 1, batchesFailed: 1 });
    expect(p.stats.droppedByReason.upload_failed).toBe(1);
  });
});
