import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { assertLoopback, runOpenLoop } from '@parcel/test-kit';
import { percentile } from '@parcel/trace-analysis';
import { newSegmentId, newTraceId, parseTraceHeader } from '@parcel/xray-protocol';

export interface LoadOptions {
  /** Base URL of the gateway (loopback only). */
  baseUrl: string;
  /** Requests per second, sent open-loop: a slow answer does not slow the next request down. */
  rate: number;
  /** How long to send; the count is bounded too: rate × seconds. */
  seconds: number;
  /** Parcel ids, taken in turn. */
  parcelIds: readonly string[];
  /** Requests allowed in flight at once; past it a request is counted as skipped, not queued. */
  maxInFlight?: number;
  /** Per-request client timeout in ms. */
  timeoutMs?: number;
  /**
   * `true` (default): every request carries `Sampled=1`, so every one is traced. `false`: no trace header,
   * so the edge decides by its sampling rules, as for a client outside.
   */
  forceSampled?: boolean;
  /** Called with each result as it arrives (progress lines). */
  onResult?: (result: RequestResult) => void;
}

export interface RequestResult {
  traceId: string;
  parcelId: string;
  /** HTTP status, or 0 when the request failed without an answer. */
  status: number;
  ms: number;
  stale: boolean;
  /** The trace the edge answered with was sampled (`Sampled=1` in its `X-Amzn-Trace-Id`). */
  sampled: boolean;
}

export interface LoadResult {
  start: Date;
  end: Date;
  results: RequestResult[];
  skipped: number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Answers by HTTP status (0: no answer). */
  statuses: Record<string, number>;
  /** Answers with X-Parcel-Stale: true. */
  stale: number;
}

/**
 * Fixed-rate load over loopback. By default every request carries its own `X-Amzn-Trace-Id:
 * Root=…;Sampled=1`, so the edge keeps every one of them (the analysis needs them all, not the production
 * 5 %); either way each result is tied to the trace the edge answered with.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const total = Math.max(1, Math.round(opts.rate * opts.seconds));
  const maxInFlight = opts.maxInFlight ?? 500;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });
  const base = new URL(opts.baseUrl);
  assertLoopback(base, 'the incident replay');
  const results: RequestResult[] = [];

  const forceSampled = opts.forceSampled ?? true;
  const one = (i: number): Promise<void> => {
    const parcelId = opts.parcelIds[i % opts.parcelIds.length] as string;
    const sentTraceId = forceSampled ? newTraceId() : undefined;
    const t0 = performance.now();
    return new Promise<void>((resolve) => {
      const finish = (status: number, stale: boolean, answered?: ReturnType<typeof parseTraceHeader>) => {
        const result = {
          traceId: answered?.root ?? sentTraceId ?? '',
          parcelId,
          status,
          ms: performance.now() - t0,
          stale,
          sampled: answered?.sampled === '1',
        };
        results.push(result);
        opts.onResult?.(result);
        resolve();
      };
      const req = request(
        new URL(`/parcels/${parcelId}`, base),
        {
          agent,
          headers: sentTraceId
            ? { 'x-amzn-trace-id': `Root=${sentTraceId};Parent=${newSegmentId()};Sampled=1` }
            : {},
          timeout: timeoutMs,
        },
        (res) => {
          res.resume();
          const answered = parseTraceHeader(res.headers['x-amzn-trace-id']);
          res.on('end', () =>
            finish(res.statusCode ?? 0, res.headers['x-parcel-stale'] === 'true', answered),
          );
          res.on('error', () => finish(0, false));
        },
      );
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', () => finish(0, false));
      req.end();
    });
  };

  const start = new Date();
  const { skipped } = await runOpenLoop({ rate: opts.rate, total, maxInFlight }, one);
  const end = new Date();
  agent.destroy();
  return { start, end, results, skipped };
}

export function summarize(results: readonly RequestResult[]): LatencySummary {
  const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
    statuses,
    stale: results.filter((r) => r.stale).length,
  };
}
