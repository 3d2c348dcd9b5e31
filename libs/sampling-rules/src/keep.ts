/**
 * Keep-on-error: the tail-side complement of head sampling, decided hop by hop.
 *
 * Every hop gives an unsampled request a segment id anyway and passes `Parent=<that id>;Sampled=0`
 * downstream, so a path kept later still links up. At the end of the request the hop either discards
 * its cheap in-memory segment (the common case) or sends it to its own daemon sidecar, annotated
 * `trace_kept`, and answers its caller with `X-Trace-Kept: <reason>` so the caller keeps its segment too.
 * The decision needs only what the hop itself sees: its response status, its duration and its
 * downstream's answers — no central collector.
 */

/** Response header a hop answers with when it kept its segment of an unsampled request. */
export const TRACE_KEPT_HEADER = 'x-trace-kept';
/** Annotation on a kept segment (indexed, so `annotation.trace_kept = "error"` finds them). */
export const TRACE_KEPT_ANNOTATION = 'trace_kept';

export const KEEP_REASONS = ['error', 'latency', 'downstream'] as const;
export type KeepReason = (typeof KEEP_REASONS)[number];

export interface KeepInput {
  /** The hop's own response status (undefined when it never answered: counts as a failure). */
  status: number | undefined;
  durationMs: number;
  /** `TRACE_KEEP_SLOW_MS`; 0 disables the latency reason. */
  slowMs: number;
  /** A downstream call failed: HTTP ≥ 500, network error, timeout, a failed task even if caught. */
  downstreamFailed: boolean;
  /** A downstream answer carried `X-Trace-Kept`. */
  downstreamKept: boolean;
}

/**
 * Why an unsampled request's segment must be kept, or undefined to discard it. The hop's own
 * observations name the reason first: its own 5xx or a call of its own that failed is an `error` on this
 * request's path (even when the hop absorbed it), then `latency`; `downstream` says only that a callee
 * kept its segment, so this hop is on a kept path.
 */
export function keepReason(input: KeepInput): KeepReason | undefined {
  if (input.status === undefined || input.status >= 500 || input.downstreamFailed) return 'error';
  if (input.slowMs > 0 && input.durationMs >= input.slowMs) return 'latency';
  if (input.downstreamKept) return 'downstream';
  return undefined;
}

/** Reads an `X-Trace-Kept` value; anything unrecognised (but present) still says "keep". */
export function parseKeptHeader(value: string | string[] | undefined): KeepReason | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  if (!raw) return undefined;
  return (KEEP_REASONS as readonly string[]).includes(raw) ? (raw as KeepReason) : 'downstream';
}

export interface KeepStatsSnapshot {
  requests: number;
  /** Sampled by head sampling, by the rule that decided (`upstream` when a caller's header decided). */
  sampled: { total: number; byRule: Record<string, number> };
  /** Unsampled, yet kept, by reason. */
  kept: Record<KeepReason, number>;
  /** Unsampled and discarded (the cheap common case). */
  discarded: number;
}

/** Name under which a decision honoured from the caller's `Sampled=1` is counted. */
export const UPSTREAM_DECISION = 'upstream';

/** Counts what a hop recorded and why: head-sampled by rule, kept by reason, discarded. */
export class KeepStats {
  private requests = 0;
  private sampledTotal = 0;
  private readonly byRule = new Map<string, number>();
  private readonly kept: Record<KeepReason, number> = { error: 0, latency: 0, downstream: 0 };
  private discarded = 0;

  sampled(ruleName: string = UPSTREAM_DECISION): void {
    this.requests++;
    this.sampledTotal++;
    this.byRule.set(ruleName, (this.byRule.get(ruleName) ?? 0) + 1);
  }

  unsampled(reason: KeepReason | undefined): void {
    this.requests++;
    if (reason) this.kept[reason]++;
    else this.discarded++;
  }

  snapshot(): KeepStatsSnapshot {
    return {
      requests: this.requests,
      sampled: { total: this.sampledTotal, byRule: Object.fromEntries(this.byRule) },
      kept: { ...this.kept },
      discarded: this.discarded,
    };
  }
}

/**
 * Every `everyMs`, hands `log` the hop's stats if requests came since the last report (an idle hop stays
 * quiet). Returns the timer (unref'd) for the hop to clear on close, or undefined when `everyMs` is 0.
 */
export function reportStatsWhileBusy<S extends { requests: number }>(
  snapshot: () => S,
  log: (stats: S) => void,
  everyMs: number,
): NodeJS.Timeout | undefined {
  if (everyMs <= 0) return undefined;
  let lastReported = -1;
  return setInterval(() => {
    const stats = snapshot();
    if (stats.requests === lastReported) return;
    lastReported = stats.requests;
    log(stats);
  }, everyMs).unref();
}
