/** EMF takes at most 100 values per metric per line ("Specification: Embedded metric format"). */
export const MAX_EMF_VALUES = 100;
/** Example traces named per interval: the slowest requests whose traces were recorded. */
export const EXAMPLE_TRACES = 5;

/** What one interval's requests add up to. */
export interface LatencySummary {
  /** Every request of the interval. */
  count: number;
  /** Milliseconds: every latency when there were at most 100 requests, else a uniform sample of 100. */
  values: number[];
  /** Trace ids of the slowest requests whose traces were recorded, slowest first. */
  slowestTraceIds: string[];
}

/**
 * The latencies of one interval in bounded memory, whatever the request rate: a uniform sample of at most
 * `MAX_EMF_VALUES` values (reservoir sampling, Algorithm R: each request ends up in it with the same
 * chance, so percentiles over the sample estimate the interval's), the exact count, and the slowest few
 * requests that have a trace to show.
 */
export class LatencyWindow {
  private count = 0;
  private values: number[] = [];
  private slowest: { ms: number; traceId: string }[] = [];

  constructor(
    /** A number in [0, 1): tests pass a seeded one. */
    private readonly random: () => number = Math.random,
    private readonly sampleSize = MAX_EMF_VALUES,
    private readonly examples = EXAMPLE_TRACES,
  ) {}

  /** One request: its latency, and its trace id when its trace was recorded (sampled or kept). */
  record(ms: number, traceId?: string): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.count++;
    if (this.values.length < this.sampleSize) this.values.push(ms);
    else {
      const slot = Math.floor(this.random() * this.count);
      if (slot < this.sampleSize) this.values[slot] = ms;
    }
    if (traceId === undefined) return;
    const last = this.slowest[this.slowest.length - 1];
    if (this.slowest.length >= this.examples && last !== undefined && last.ms >= ms) return;
    const at = this.slowest.findIndex((e) => e.ms < ms);
    this.slowest.splice(at < 0 ? this.slowest.length : at, 0, { ms, traceId });
    if (this.slowest.length > this.examples) this.slowest.pop();
  }

  /** The interval so far, and a fresh one begun; undefined when no request came. */
  drain(): LatencySummary | undefined {
    if (this.count === 0) return undefined;
    const summary = {
      count: this.count,
      values: this.values,
      slowestTraceIds: this.slowest.map((e) => e.traceId),
    };
    this.count = 0;
    this.values = [];
    this.slowest = [];
    return summary;
  }
}
