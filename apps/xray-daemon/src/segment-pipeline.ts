import type { Logger } from 'pino';
import { type DaemonStats, type DropReason, emptyStats } from './counters';
import type { InvalidReason } from './datagram-reader';
import { RateLimitedLog } from './rate-limited-log';

/** What an upload reports: how many of the batch X-Ray refused (UnprocessedTraceSegments). */
export interface UploadResult {
  unprocessed: number;
}
export type Upload = (documents: string[]) => Promise<UploadResult>;

export interface PipelineOptions {
  /**
   * Bytes of segment text held at once, waiting or in flight. The real daemon has `TotalBufferSizeMB`
   * × 16 buffers of 64 KB, one segment each; here the same memory, TotalBufferSizeMB MiB, is accounted
   * by each segment's real size, so 1 KB segments do not each occupy 64 KB.
   */
  capacityBytes: number;
  batchSize: number;
  /** A partial batch is sent at the latest this long after its first segment arrived. */
  flushIntervalMs: number;
  /** At most this many PutTraceSegments calls in flight. */
  concurrency: number;
  upload: Upload;
  logger: Logger;
}

interface Batch {
  documents: string[];
  bytes: number;
}

/**
 * The daemon's buffer: accepted segments are batched (up to `batchSize`), sent when a batch is full or
 * `flushIntervalMs` after it was started, with at most `concurrency` uploads in flight. When the buffer
 * is full a new segment is dropped and counted; a failed upload is logged and its segments counted as
 * dropped, not retried (as the real daemon does). Every segment is accounted for in `stats`.
 */
export class SegmentPipeline {
  readonly stats: DaemonStats;
  private current: Batch = { documents: [], bytes: 0 };
  private readonly ready: Batch[] = [];
  private uploads = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly warnings: RateLimitedLog;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: PipelineOptions) {
    this.stats = emptyStats(opts.capacityBytes);
    this.warnings = new RateLimitedLog(opts.logger);
  }

  /** Counts a datagram that was not a segment. */
  rejectInvalid(reason: InvalidReason, detail: string): void {
    this.stats.received++;
    this.stats.invalid++;
    this.stats.invalidByReason[reason]++;
    this.warnings.warn(
      `invalid:${reason}`,
      { reason, detail, invalid: this.stats.invalid },
      'Invalid datagram',
    );
  }

  /** Takes one valid segment document (its original text and size in bytes). The hot path. */
  accept(text: string, bytes: number): void {
    const stats = this.stats;
    stats.received++;
    if (stats.bufferedBytes + bytes > this.opts.capacityBytes) {
      this.drop('buffer_full', 1);
      this.warnings.warn(
        'buffer_full',
        { dropped: stats.droppedByReason.buffer_full, capacityBytes: this.opts.capacityBytes },
        'Segment dropped: buffer full',
      );
      return;
    }
    stats.bufferedBytes += bytes;
    stats.buffered++;
    const batch = this.current;
    batch.documents.push(text);
    batch.bytes += bytes;
    if (batch.documents.length >= this.opts.batchSize) {
      this.seal();
    } else if (batch.documents.length === 1) {
      this.flushTimer = setTimeout(() => this.seal(), this.opts.flushIntervalMs);
      this.flushTimer.unref();
    }
  }

  /** Sends what is buffered now and resolves once nothing is buffered or in flight. */
  drain(): Promise<void> {
    this.seal();
    if (this.stats.buffered === 0 && this.stats.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Closes the current batch and queues it for upload. */
  private seal(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.current.documents.length === 0) return;
    this.ready.push(this.current);
    this.current = { documents: [], bytes: 0 };
    this.pump();
  }

  private pump(): void {
    while (this.uploads < this.opts.concurrency && this.ready.length > 0) {
      const batch = this.ready.shift() as Batch;
      const n = batch.documents.length;
      this.uploads++;
      this.stats.buffered -= n;
      this.stats.inFlight += n;
      // Every counter moves in one synchronous step per outcome, so a reader never sees a segment twice.
      const settle = () => {
        this.uploads--;
        this.stats.inFlight -= n;
        this.stats.bufferedBytes -= batch.bytes;
      };
      let sent: Promise<UploadResult>;
      try {
        sent = this.opts.upload(batch.documents);
      } catch (err) {
        sent = Promise.reject(err);
      }
      sent.then(
        ({ unprocessed }) => {
          settle();
          const refused = Math.min(Math.max(0, unprocessed), n);
          this.stats.batchesSent++;
          this.stats.forwarded += n - refused;
          if (refused > 0) {
            this.drop('rejected_by_service', refused);
            this.warnings.warn('rejected', { refused }, 'X-Ray refused segments (UnprocessedTraceSegments)');
          }
          this.afterUpload();
        },
        (err: unknown) => {
          settle();
          this.stats.batchesFailed++;
          this.drop('upload_failed', n);
          this.warnings.warn(
            'upload_failed',
            { err: (err as Error)?.message ?? String(err), segments: n, dropped: this.stats.dropped },
            'PutTraceSegments failed; segments dropped (not retried)',
          );
          this.afterUpload();
        },
      );
    }
  }

  private afterUpload(): void {
    this.pump();
    this.notifyIfIdle();
  }

  private drop(reason: DropReason, n: number): void {
    this.stats.dropped += n;
    this.stats.droppedByReason[reason] += n;
  }

  private notifyIfIdle(): void {
    if (this.stats.inFlight !== 0 || this.ready.length !== 0) return;
    if (this.current.documents.length !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
