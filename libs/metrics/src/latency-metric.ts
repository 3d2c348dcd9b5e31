import { SERVICE_METRICS } from '@parcel/config';
import { TRACE_KEPT_HEADER } from '@parcel/sampling-rules';
import { parseTraceHeader } from '@parcel/xray-protocol';
import type { RequestHandler } from 'express';
import type { EmfSink } from './emf-sink';
import { LatencyWindow } from './latency-window';

export interface LatencyMetric {
  /** One request's latency (ms), with its trace id when its trace was recorded. Constant time, no I/O. */
  record(ms: number, traceId?: string): void;
  /** Prints the interval so far (nothing when no request came). */
  flush(): void;
  /** Stops the timer and prints what is left (on shutdown). */
  stop(): void;
}

/**
 * Request latency in EMF, one line per interval rather than one per request (3,000 requests a second
 * would be 3,000 log lines): `latency` (Milliseconds, at most 100 values: all of them, or a uniform
 * sample), `requests` (Count, exact), dimension `Service`, and the property `exampleTraceIds`: the
 * slowest recorded requests of the interval, so a spike on the chart leads to its traces.
 */
export function createLatencyMetric(opts: {
  sink: EmfSink;
  serviceName: string;
  intervalMs: number;
  random?: () => number;
}): LatencyMetric {
  const window = new LatencyWindow(opts.random);
  const flush = () => {
    const summary = window.drain();
    if (!summary) return;
    opts.sink.emit({
      namespace: SERVICE_METRICS.namespace,
      dimensions: { [SERVICE_METRICS.serviceDimension]: opts.serviceName },
      metrics: [
        { ...SERVICE_METRICS.latency, values: summary.values },
        { ...SERVICE_METRICS.requests, values: [summary.count] },
      ],
      properties: { exampleTraceIds: summary.slowestTraceIds },
    });
  };
  const timer = setInterval(flush, opts.intervalMs);
  // A metrics timer must never keep a stopping process alive.
  timer.unref();
  return {
    record: (ms, traceId) => window.record(ms, traceId),
    flush,
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}

/**
 * Measures each request from arrival to the last byte handed to the socket ('finish'). Mounted after
 * `traceRequests`, which puts `Root=…;Sampled=…` on the response: a request names its trace when it was
 * sampled, or kept after the fact (`X-Trace-Kept`), because only then does X-Ray have it to show.
 */
export function measureLatency(metric: LatencyMetric): RequestHandler {
  return (_req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const header = res.getHeader('x-amzn-trace-id');
      const trace = typeof header === 'string' ? parseTraceHeader(header) : undefined;
      const recorded = trace?.sampled === '1' || res.getHeader(TRACE_KEPT_HEADER) !== undefined;
      metric.record(ms, recorded ? trace?.root : undefined);
    });
    next();
  };
}
