import type { FactsView } from '@parcel/trace-model';

/**
 * The counts and response-time histograms X-Ray reports for a node, an edge or a group
 * (`ServiceStatistics`, `EdgeStatistics`, `HistogramEntry`): one definition for GetServiceGraph and
 * GetTimeSeriesServiceStatistics.
 */
export interface Stats {
  OkCount: number;
  ErrorStatistics: { ThrottleCount: number; OtherCount: number; TotalCount: number };
  FaultStatistics: { OtherCount: number; TotalCount: number };
  TotalCount: number;
  TotalResponseTime: number;
}

export interface Aggregate {
  stats: Stats;
  /** Response time (rounded to the millisecond, in seconds) → count. */
  histogram: Map<number, number>;
  start: number;
  end: number;
}

export const emptyStats = (): Stats => ({
  OkCount: 0,
  ErrorStatistics: { ThrottleCount: 0, OtherCount: 0, TotalCount: 0 },
  FaultStatistics: { OtherCount: 0, TotalCount: 0 },
  TotalCount: 0,
  TotalResponseTime: 0,
});

export function add(agg: Aggregate, o: FactsView, start: number, end: number) {
  const s = agg.stats;
  const responseTime = o.responseTime ?? 0;
  s.TotalCount++;
  s.TotalResponseTime += responseTime;
  if (o.fault) {
    s.FaultStatistics.TotalCount++;
    s.FaultStatistics.OtherCount++;
  } else if (o.error || o.throttle) {
    s.ErrorStatistics.TotalCount++;
    if (o.throttle) s.ErrorStatistics.ThrottleCount++;
    else s.ErrorStatistics.OtherCount++;
  } else s.OkCount++;
  const bucket = Math.round(responseTime * 1000) / 1000;
  agg.histogram.set(bucket, (agg.histogram.get(bucket) ?? 0) + 1);
  agg.start = Math.min(agg.start, start);
  agg.end = Math.max(agg.end, end);
}

export const newAggregate = (): Aggregate => ({
  stats: emptyStats(),
  histogram: new Map(),
  start: Number.POSITIVE_INFINITY,
  end: Number.NEGATIVE_INFINITY,
});

export const histogramWire = (h: Map<number, number>) =>
  [...h].sort((a, b) => a[0] - b[0]).map(([Value, Count]) => ({ Value, Count }));

export const finish = (s: Stats): Stats => ({
  ...s,
  TotalResponseTime: Math.round(s.TotalResponseTime * 1e6) / 1e6,
});

/** Periods before each point that its fault-count forecast is drawn from. */
export const FORECAST_PERIODS = 10;

/**
 * `ForecastStatistics` (X-Ray API reference: "The predicted high and low fault count. This is used to
 * determine if a service has become anomalous"). X-Ray does not say how it forecasts; here the band is
 * the mean of the fault counts of the `FORECAST_PERIODS` periods before the point (a period without
 * traffic counts 0) ± two standard deviations, rounded outwards and never below 0.
 */
export function faultForecast(previousFaultCounts: readonly number[]): {
  FaultCountHigh: number;
  FaultCountLow: number;
} {
  const n = previousFaultCounts.length;
  const mean = n === 0 ? 0 : previousFaultCounts.reduce((a, b) => a + b, 0) / n;
  const variance = n === 0 ? 0 : previousFaultCounts.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const spread = 2 * Math.sqrt(variance);
  return {
    FaultCountHigh: Math.ceil(mean + spread),
    FaultCountLow: Math.max(0, Math.floor(mean - spread)),
  };
}
