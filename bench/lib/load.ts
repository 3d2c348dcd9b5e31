import http from 'node:http';
import { assertLoopback, runOpenLoop } from '@parcel/test-kit';
import { newSegmentId, newTraceId } from '@parcel/xray-protocol';

/**
 * A bounded HTTP load generator for loopback benchmarks: every run stops by itself (count and time), and
 * refuses any target that is not a loopback address.
 */
export interface LoadTarget {
  /** `http://127.0.0.1:<port>/path` — loopback only. */
  url: string;
  /**
   * Trace header per request: `null` none; a fraction f in [0, 1]: `Sampled=1` on every (1/f)-th request
   * (deterministic, evenly spread), `Sampled=0` on the rest, as an edge that decided would send.
   */
  sampledFraction?: number | null;
}

export interface ClosedLoopOptions extends LoadTarget {
  concurrency: number;
  durationMs: number;
  /** Hard cap on requests (a bound even on a very fast server). */
  maxRequests?: number;
}

export interface ClosedLoopResult {
  requests: number;
  errors: number;
  elapsedMs: number;
  /** Completed requests per second. */
  rps: number;
}

export interface OpenLoopOptions extends LoadTarget {
  /** Requests per second, sent on schedule whether or not earlier ones have answered. */
  rate: number;
  durationMs: number;
  /** In-flight cap: beyond it a scheduled request is skipped and counts as an error (the server cannot keep up). */
  maxInFlight?: number;
}

export interface LatencySummary {
  requests: number;
  errors: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Header for request number `n` given the sampled fraction. */
export function traceHeaderFor(n: number, fraction: number | null | undefined): string | undefined {
  if (fraction === null || fraction === undefined) return undefined;
  const every = fraction > 0 ? Math.round(1 / fraction) : 0;
  const sampled = every > 0 && n % every === 0 ? '1' : '0';
  return `Root=${newTraceId()};Parent=${newSegmentId()};Sampled=${sampled}`;
}

function requester(target: LoadTarget, sockets: number) {
  const url = new URL(target.url);
  assertLoopback(url, 'the load generator');
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  let n = 0;
  const send = (): Promise<number> =>
    new Promise((resolve) => {
      const header = traceHeaderFor(n++, target.sampledFraction);
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          agent,
          headers: header ? { 'x-amzn-trace-id': header } : {},
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve(0));
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(0));
      req.end();
    });
  return { send, close: () => agent.destroy() };
}

/** Fixed concurrency, each worker sending its next request as soon as the last one answers. */
export async function closedLoop(opts: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const { send, close } = requester(opts, opts.concurrency);
  const maxRequests = opts.maxRequests ?? 1_000_000;
  let requests = 0;
  let errors = 0;
  let started = 0;
  const start = performance.now();
  const deadline = start + opts.durationMs;
  const worker = async () => {
    while (performance.now() < deadline && started < maxRequests) {
      started++;
      const status = await send();
      requests++;
      if (status < 200 || status >= 300) errors++;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const elapsedMs = performance.now() - start;
  close();
  return { requests, errors, elapsedMs, rps: (requests * 1000) / elapsedMs };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function summarise(latencies: number[], errors: number): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    requests: sorted.length,
    errors,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    meanMs: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/**
 * A fixed rate, latency measured from when each request was due (not when it was sent), so a stalled
 * server shows up in the percentiles instead of slowing the generator down (no coordinated omission).
 */
export async function openLoop(opts: OpenLoopOptions): Promise<LatencySummary> {
  const maxInFlight = opts.maxInFlight ?? 512;
  const { send, close } = requester(opts, maxInFlight);
  const total = Math.max(1, Math.floor((opts.rate * opts.durationMs) / 1000));
  const latencies: number[] = [];
  let errors = 0;
  const { skipped } = await runOpenLoop({ rate: opts.rate, total, maxInFlight }, (_i, dueAt) =>
    send().then((status) => {
      if (status >= 200 && status < 300) latencies.push(performance.now() - dueAt);
      else errors++;
    }),
  );
  close();
  return summarise(latencies, errors + skipped);
}
