import { ALARM_THRESHOLDS } from '@parcel/config';
import { type Analysis, analyze, type GroupBy, parseGroupBy, rootCauseKey } from '@parcel/trace-analysis';
import type { Entity, TraceModel } from '@parcel/trace-model';
import { quote } from '@parcel/xray-filter';
import { ApiError } from '../api-error';
import { buildServiceGraph } from '../service-graph';
import type { TraceEntry, TraceStore } from '../trace-store';
import type { FilterCompiler, TracePredicate } from '../xray-api';
import type { EmfIndex } from './emf-index';
import type { LogIndex, TraceLogLine } from './log-index';

/**
 * The JSON the console reads. Each method takes the query string's parameters and returns the body; a
 * bad parameter is a `ConsoleError` (400). Traces are chosen as `npm run traces -- analyze` chooses them
 * (by the time in the trace id, newest first, at most `MAX_ANALYSED` of them), so both show the same numbers.
 */

/** How many traces the list returns. */
const MAX_LISTED = 200;
/** The traces-cli's default `--limit`: the window's newest this many traces are analysed. */
export const MAX_ANALYSED = 5000;
const MAX_WINDOW_S = 24 * 60 * 60;

export class ConsoleError extends ApiError {
  constructor(
    message: string,
    /** For a bad filter expression: the 0-based offset of the problem. */
    readonly position?: number,
  ) {
    super(400, 'InvalidRequestException', message);
  }
}

export interface TraceListItem {
  id: string;
  startTime: number;
  duration: number;
  responseTime: number;
  method?: string;
  url?: string;
  status?: number;
  fault: boolean;
  error: boolean;
  throttle: boolean;
  partial: boolean;
  annotations: Record<string, (string | number | boolean)[]>;
  services: string[];
  /** The last service of the first fault / error / response-time root cause ("Service › entity"). */
  faultRootCause?: string;
  errorRootCause?: string;
  responseTimeRootCause?: string;
}

/** One waterfall row: an entity of the assembled trace, in display order, with what the detail panel shows. */
export interface WaterfallRow {
  id: string;
  parentId?: string;
  name: string;
  kind: 'segment' | 'subsegment';
  depth: number;
  /** The segment that recorded it. */
  service?: string;
  /** A segment's `origin`, a subsegment's `namespace`. */
  origin?: string;
  namespace?: string;
  start: number;
  end: number;
  fault: boolean;
  error: boolean;
  throttle: boolean;
  inProgress: boolean;
  doc: Pick<Entity['doc'], 'annotations' | 'http' | 'sql' | 'aws' | 'cause' | 'metadata'>;
}

export interface ServiceMapNode {
  id: number;
  name: string;
  type?: string;
  root: boolean;
  count: number;
  okCount: number;
  errorRate: number;
  faultRate: number;
  throttleRate: number;
  /** Seconds. */
  p50: number;
  p99: number;
  edges: { to: number; count: number; errorRate: number; faultRate: number; p50: number; p99: number }[];
}

interface Window {
  start: number;
  end: number;
}

/** GetTimeSeriesServiceStatistics, as the API answers it (epoch-second timestamps). */
export type TimeSeriesSource = (body: Record<string, unknown>) => {
  TimeSeriesServiceStatistics: {
    Timestamp: number;
    ServiceSummaryStatistics?: WireStats;
    EdgeSummaryStatistics?: WireStats;
    ResponseTimeHistogram: WireHistogramEntry[];
  }[];
};

export class ConsoleApi {
  constructor(
    private readonly store: TraceStore,
    private readonly compiler: () => FilterCompiler | undefined,
    private readonly logs: LogIndex | undefined,
    private readonly timeSeries?: TimeSeriesSource,
    private readonly emf?: EmfIndex,
  ) {}

  /**
   * `?start&end[&period]`: the EMF metrics the pieces printed, per metric (namespace, name, unit, dimension
   * set) in buckets of `period` seconds (default 60): count, sum, avg, max, p99 and the example traces the
   * bucket's lines named.
   */
  async metrics(query: URLSearchParams) {
    const window = readWindow(query);
    const periodSeconds = readPeriod(query.get('period'));
    if ((window.end - window.start) / periodSeconds > MAX_METRIC_BUCKETS)
      throw new ConsoleError(
        `at most ${MAX_METRIC_BUCKETS} buckets: choose a longer period or a shorter window`,
      );
    if (!this.emf) return { ...window, period: periodSeconds, available: false, metrics: [] };
    const metrics = await this.emf.query({ ...window, periodSeconds });
    return { ...window, period: periodSeconds, available: true, metrics };
  }

  /**
   * `?start&end&node[&type]`: one node's requests, faults and p50/p99 per minute (GetTimeSeriesServiceStatistics),
   * with the CDK stack's alarm thresholds to draw on it.
   */
  nodeSeries(query: URLSearchParams) {
    const window = readWindow(query);
    const node = query.get('node');
    if (!node || node.length > 250) throw new ConsoleError('node (a service name) is required');
    if (!this.timeSeries) throw new ConsoleError('time series are not available');
    const type = query.get('type');
    const selector = `service(${type ? `id(name: ${quote(node)}, type: ${quote(type)})` : quote(node)})`;
    const answer = this.timeSeries({
      StartTime: window.start,
      EndTime: window.end,
      EntitySelectorExpression: selector,
      Period: 60,
    });
    return {
      ...window,
      node,
      period: 60,
      thresholds: {
        p99Ms: ALARM_THRESHOLDS.apiP99Ms,
        faultPercent: ALARM_THRESHOLDS.api5xxPercent,
      },
      points: answer.TimeSeriesServiceStatistics.map((p) => {
        const stats = p.ServiceSummaryStatistics as WireStats;
        return {
          t: p.Timestamp,
          requests: stats.TotalCount,
          faults: stats.FaultStatistics.TotalCount,
          p50: histogramPercentile(p.ResponseTimeHistogram, 50),
          p99: histogramPercentile(p.ResponseTimeHistogram, 99),
        };
      }),
    };
  }

  /**
   * `?start&end&filter[&ids]`: the window's traces that match, newest first; `ids` (comma-separated trace
   * ids, what a metric's point names) keeps only those.
   */
  traces(query: URLSearchParams) {
    const window = readWindow(query);
    const ids = readTraceIds(query.get('ids'));
    const selected = this.select(window, query.get('filter'), MAX_LISTED, ids);
    return {
      ...window,
      ...selected.counts,
      histogram: responseTimeHistogram(selected.responseTimes),
      traces: selected.models.map(listItem),
    };
  }

  /** One trace: its assembled tree as waterfall rows (the model's, not re-assembled in the page), its root causes and log lines. */
  async trace(id: string) {
    const model = this.store.model(id);
    if (!model) throw new ApiError(404, 'ResourceNotFoundException', `No trace ${id}`);
    const logs: TraceLogLine[] = this.logs ? await this.logs.linesOf(id) : [];
    return {
      ...listItem(model),
      endTime: model.endTime,
      rows: model.entities.map(waterfallRow),
      rootCauses: {
        fault: model.faultRootCauses,
        error: model.errorRootCauses,
        responseTime: model.responseTimeRootCauses,
      },
      logs,
      logsAvailable: this.logs !== undefined,
    };
  }

  /** `?start&end`: GetServiceGraph's nodes and edges, with rates and percentiles worked out. */
  serviceMap(query: URLSearchParams) {
    const window = readWindow(query);
    const views = [...this.store.inRange(window.start, window.end, 'Event')].map((e) => e.view());
    const services = buildServiceGraph(views) as unknown as WireService[];
    return { ...window, traces: views.length, nodes: services.map(mapNode) };
  }

  /**
   * `?start&end&groupBy=name|service|annotation:KEY&filter[&compareStart&compareEnd]`: `analyze()` over the
   * window, and over a second window to compare with.
   */
  analytics(query: URLSearchParams) {
    const window = readWindow(query);
    const groupBy = readGroupBy(query.get('groupBy') ?? 'name');
    const filter = query.get('filter');
    const run = (w: Window): Analysis & Window & { truncated: boolean } => {
      const { models, counts } = this.select(w, filter, MAX_ANALYSED);
      return { ...w, ...analyze(models, groupBy), truncated: counts.matched > models.length };
    };
    const current = run(window);
    const compareStart = query.get('compareStart');
    const compareEnd = query.get('compareEnd');
    if (compareStart === null || compareEnd === null) return { groupBy, current };
    const previous = run(readWindow(new URLSearchParams({ start: compareStart, end: compareEnd })));
    return { groupBy, current, previous };
  }

  private select(window: Window, filter: string | null, limit: number, ids?: ReadonlySet<string>) {
    const predicate = this.predicate(filter);
    let processed = 0;
    const matched: TraceEntry[] = [];
    for (const entry of this.store.inRange(window.start, window.end, 'TraceId')) {
      processed++;
      if (ids && !ids.has(entry.id)) continue;
      if (predicate && !predicate(entry)) continue;
      matched.push(entry);
    }
    matched.sort((a, b) => b.startTime - a.startTime || (a.id < b.id ? -1 : 1));
    return {
      models: matched.slice(0, limit).map((e) => e.model()),
      /** Every matched trace's response time (the distribution is the window's, not the page's). */
      responseTimes: matched.map((e) => e.view().responseTime),
      counts: { processed, matched: matched.length },
    };
  }

  private predicate(filter: string | null): TracePredicate | undefined {
    if (filter === null || filter.trim() === '') return undefined;
    const compile = this.compiler();
    if (!compile) throw new ConsoleError('Filter expressions are not supported by this service');
    try {
      return compile(filter);
    } catch (err) {
      const position = (err as { position?: unknown }).position;
      throw new ConsoleError((err as Error).message, typeof position === 'number' ? position : undefined);
    }
  }
}

/** Bars of the response-time distribution. */
const HISTOGRAM_BUCKETS = 20;

export interface HistogramBucket {
  /** Seconds, [from, to). */
  from: number;
  to: number;
  count: number;
}

/**
 * The window's response-time distribution (the X-Ray console's "Response time distribution"): equal
 * buckets from 0 to a round maximum, so a dragged band reads as a `responsetime` range.
 */
export function responseTimeHistogram(responseTimes: readonly number[]): HistogramBucket[] {
  if (responseTimes.length === 0) return [];
  let max = 0;
  for (const t of responseTimes) if (t > max) max = t;
  // A round upper bound: 1, 2 or 5 × a power of ten (in seconds), at least 1 ms.
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(max, 0.001)));
  const top = [1, 2, 5, 10].map((m) => m * magnitude).find((v) => v > max) ?? 10 * magnitude;
  const width = top / HISTOGRAM_BUCKETS;
  const buckets = Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => ({
    from: round6(i * width),
    to: round6((i + 1) * width),
    count: 0,
  }));
  for (const t of responseTimes) {
    const bucket = buckets[Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(t / width))] as HistogramBucket;
    bucket.count++;
  }
  return buckets;
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

function readWindow(query: URLSearchParams): Window {
  const start = Number(query.get('start'));
  const end = Number(query.get('end'));
  if (!query.has('start') || !query.has('end') || !Number.isFinite(start) || !Number.isFinite(end))
    throw new ConsoleError('start and end (epoch seconds) are required');
  if (end < start) throw new ConsoleError('end must not be before start');
  if (end - start > MAX_WINDOW_S) throw new ConsoleError('the window must not exceed 24 hours');
  return { start, end };
}

/** Buckets a metrics answer may have: a day by the minute. */
const MAX_METRIC_BUCKETS = 1440;
const MAX_PERIOD_S = 3600;

function readPeriod(text: string | null): number {
  if (text === null || text === '') return 60;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > MAX_PERIOD_S)
    throw new ConsoleError(`period must be a whole number of seconds from 1 to ${MAX_PERIOD_S}`);
  return Number(text);
}

/** Trace ids a list is narrowed to: at most this many. */
const MAX_LISTED_IDS = 20;
const TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;

function readTraceIds(text: string | null): ReadonlySet<string> | undefined {
  if (text === null || text === '') return undefined;
  const ids = text.split(',');
  if (ids.length > MAX_LISTED_IDS) throw new ConsoleError(`ids takes at most ${MAX_LISTED_IDS} trace ids`);
  for (const id of ids)
    if (!TRACE_ID.test(id)) throw new ConsoleError('ids are comma-separated trace ids (1-xxxxxxxx-…)');
  return new Set(ids);
}

export function readGroupBy(text: string): GroupBy {
  const groupBy = parseGroupBy(text);
  if (groupBy) return groupBy;
  throw new ConsoleError('groupBy is name, service, annotation:KEY or rootcause:fault|error|responsetime');
}

function listItem(model: TraceModel): TraceListItem {
  const http = model.http;
  // JSON of a null-prototype object: own keys only.
  const annotations: TraceListItem['annotations'] = Object.create(null);
  for (const [key, values] of Object.entries(model.annotationValues)) annotations[key] = values;
  const fault = rootCauseKey(model, 'fault');
  const error = rootCauseKey(model, 'error');
  const slow = rootCauseKey(model, 'responsetime');
  return {
    id: model.id,
    startTime: model.startTime,
    duration: model.duration,
    responseTime: model.responseTime,
    ...(http?.method !== undefined ? { method: http.method } : {}),
    ...(http?.url !== undefined ? { url: http.url } : {}),
    ...(http?.status !== undefined ? { status: http.status } : {}),
    fault: model.hasFault,
    error: model.hasError,
    throttle: model.hasThrottle,
    partial: model.isPartial,
    annotations,
    services: [...new Set(model.services.filter((n) => !n.inferred).map((n) => n.name))],
    ...(fault ? { faultRootCause: fault } : {}),
    ...(error ? { errorRootCause: error } : {}),
    ...(slow ? { responseTimeRootCause: slow } : {}),
  };
}

function waterfallRow(entity: Entity): WaterfallRow {
  const d = entity.doc;
  return {
    id: entity.id,
    ...(entity.parent ? { parentId: entity.parent.id } : {}),
    name: entity.name,
    kind: entity.kind,
    depth: entity.depth,
    ...(entity.segment ? { service: entity.segment.name } : {}),
    ...(typeof d.origin === 'string' ? { origin: d.origin } : {}),
    ...(typeof d.namespace === 'string' ? { namespace: d.namespace } : {}),
    start: entity.start,
    end: entity.end,
    fault: entity.fault,
    error: entity.error,
    throttle: entity.throttle,
    inProgress: entity.inProgress,
    doc: {
      annotations: d.annotations,
      http: d.http,
      sql: d.sql,
      aws: d.aws,
      cause: d.cause,
      metadata: d.metadata,
    },
  };
}

interface WireStats {
  OkCount: number;
  ErrorStatistics: { ThrottleCount: number; TotalCount: number };
  FaultStatistics: { TotalCount: number };
  TotalCount: number;
}
interface WireHistogramEntry {
  Value: number;
  Count: number;
}
interface WireEdge {
  ReferenceId: number;
  SummaryStatistics: WireStats;
  ResponseTimeHistogram: WireHistogramEntry[];
}
interface WireService {
  ReferenceId: number;
  Name: string;
  Type?: string;
  Root?: boolean;
  SummaryStatistics: WireStats;
  ResponseTimeHistogram: WireHistogramEntry[];
  Edges: WireEdge[];
}

/** Nearest-rank percentile over a histogram (ascending values), as @parcel/trace-analysis's `percentile` over samples. */
export function histogramPercentile(histogram: readonly WireHistogramEntry[], p: number): number {
  const total = histogram.reduce((n, h) => n + h.Count, 0);
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const h of histogram) {
    seen += h.Count;
    if (seen >= rank) return h.Value;
  }
  return histogram[histogram.length - 1]?.Value ?? 0;
}

const rate = (n: number, total: number) => (total ? n / total : 0);

function mapNode(s: WireService): ServiceMapNode {
  const st = s.SummaryStatistics;
  return {
    id: s.ReferenceId,
    name: s.Name,
    ...(s.Type ? { type: s.Type } : {}),
    root: s.Root === true,
    count: st.TotalCount,
    okCount: st.OkCount,
    errorRate: rate(st.ErrorStatistics.TotalCount, st.TotalCount),
    faultRate: rate(st.FaultStatistics.TotalCount, st.TotalCount),
    throttleRate: rate(st.ErrorStatistics.ThrottleCount, st.TotalCount),
    p50: histogramPercentile(s.ResponseTimeHistogram, 50),
    p99: histogramPercentile(s.ResponseTimeHistogram, 99),
    edges: s.Edges.map((e) => ({
      to: e.ReferenceId,
      count: e.SummaryStatistics.TotalCount,
      errorRate: rate(e.SummaryStatistics.ErrorStatistics.TotalCount, e.SummaryStatistics.TotalCount),
      faultRate: rate(e.SummaryStatistics.FaultStatistics.TotalCount, e.SummaryStatistics.TotalCount),
      p50: histogramPercentile(e.ResponseTimeHistogram, 50),
      p99: histogramPercentile(e.ResponseTimeHistogram, 99),
    })),
  };
}
