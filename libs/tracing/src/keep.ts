import { type KeepReason, keepReason } from '@parcel/sampling-rules';

/**
 * Keep-on-error for one request's segment, the same on every backend: an unsampled request is recorded in
 * memory and kept after all when it failed, ran slow, or a call under it failed or was kept downstream
 * (the shared rule in `@parcel/sampling-rules`). The reason announced in `X-Trace-Kept` is final.
 */
export class KeepDecision {
  downstreamFailed = false;
  downstreamKept = false;
  /** The reason announced in the response header, if any (the final decision keeps it). */
  announced: KeepReason | undefined;

  constructor(
    /** When the request started (epoch ms). */
    readonly startMs: number,
    /** `TRACE_KEEP_SLOW_MS`: this slow is kept; 0 = never for latency. */
    readonly slowMs: number,
  ) {}

  /** Why the request must be kept, as far as is known at `atMs` with its own response `status`. */
  reason(status: number, atMs: number = Date.now()): KeepReason | undefined {
    if (this.announced) return this.announced;
    return keepReason({
      status,
      durationMs: atMs - this.startMs,
      slowMs: this.slowMs,
      downstreamFailed: this.downstreamFailed,
      downstreamKept: this.downstreamKept,
    });
  }

  announce(status: number): KeepReason | undefined {
    const reason = this.reason(status);
    if (reason) this.announced = reason;
    return reason;
  }
}
