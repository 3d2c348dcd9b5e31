import type { LogTailer } from './log-tailer';

/**
 * CloudWatch embedded metric format, read back from the pieces' logs the way CloudWatch Logs extracts it
 * ("Specification: Embedded metric format"): a line is a JSON object whose `_aws` member holds a
 * `Timestamp` (epoch ms) and `CloudWatchMetrics` directives; each directive names a `Namespace`, its
 * `Dimensions` (sets of root member names whose values are strings) and `Metrics` (`Name`, `Unit`), and
 * each metric's value is the root member of that name: a number or an array of at most 100 numbers.
 * Anything else is not EMF and is skipped, as CloudWatch rejects it.
 */

/** A metric as CloudWatch keys it: namespace, name and one dimension set. */
export interface MetricIdentity {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
}

/** One bucket of a metric's series. */
export interface MetricPoint {
  /** Epoch seconds: the start of the bucket. */
  t: number;
  /** Values in the bucket (CloudWatch's SampleCount). */
  count: number;
  sum: number;
  avg: number;
  max: number;
  /** Nearest rank over the bucket's values. */
  p99: number;
  /** Traces the lines of this bucket named (`traceId`, `exampleTraceIds`), at most `MAX_EXAMPLES`. */
  traceIds: string[];
}

export interface MetricSeries extends MetricIdentity {
  points: MetricPoint[];
}

export interface EmfIndexOptions {
  /** Values kept across every metric; the oldest lines are forgotten first. */
  maxValues?: number;
  /** Distinct metrics (namespace, name, dimension set) kept; lines of further ones are skipped. */
  maxSeries?: number;
}

/** The EMF spec's limits: values per metric per line, dimensions per set, metrics per directive. */
const MAX_VALUES_PER_METRIC = 100;
const MAX_DIMENSIONS = 30;
const MAX_METRICS = 100;
const MAX_NAME_CHARS = 1024;
/** Example traces kept per line and per bucket. */
export const MAX_EXAMPLES = 5;
const TRACE_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;

interface Entry {
  key: string;
  /** Epoch ms. */
  time: number;
  values: number[];
  traceIds: string[];
}

/**
 * The EMF metrics the pieces print, as the tailer reads their logs, in bounded memory: every line's
 * values with its timestamp and example trace ids, the oldest forgotten first once `maxValues` are held.
 */
export class EmfIndex {
  private readonly series = new Map<string, { identity: MetricIdentity; entries: Entry[] }>();
  /** Every entry, oldest first: what is forgotten first. */
  private readonly queue: Entry[] = [];
  private queueHead = 0;
  private held = 0;
  private readonly maxValues: number;
  private readonly maxSeries: number;

  constructor(
    private readonly tailer: LogTailer,
    opts: EmfIndexOptions = {},
  ) {
    this.maxValues = opts.maxValues ?? 500_000;
    this.maxSeries = opts.maxSeries ?? 100;
    tailer.subscribe((_piece, line) => this.index(line));
  }

  /** The metrics seen, bucketed by `periodSeconds` over [start, end) (epoch seconds), after catching up. */
  async query(window: { start: number; end: number; periodSeconds: number }): Promise<MetricSeries[]> {
    await this.tailer.catchUp();
    const { start, end, periodSeconds } = window;
    const out: MetricSeries[] = [];
    for (const { identity, entries } of this.series.values()) {
      const buckets = new Map<number, { values: number[]; traceIds: Set<string> }>();
      for (const entry of entries) {
        const seconds = entry.time / 1000;
        if (seconds < start || seconds >= end) continue;
        const t = start + Math.floor((seconds - start) / periodSeconds) * periodSeconds;
        let bucket = buckets.get(t);
        if (!bucket) {
          bucket = { values: [], traceIds: new Set() };
          buckets.set(t, bucket);
        }
        for (const v of entry.values) bucket.values.push(v);
        for (const id of entry.traceIds) if (bucket.traceIds.size < MAX_EXAMPLES) bucket.traceIds.add(id);
      }
      if (buckets.size === 0) continue;
      const points = [...buckets.entries()]
        .sort(([a], [b]) => a - b)
        .map(([t, b]) => pointOf(t, b.values, [...b.traceIds]));
      out.push({ ...identity, dimensions: { ...identity.dimensions }, points });
    }
    return out.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  }

  /** Values held now (for tests and bounds). */
  get valueCount(): number {
    return this.held;
  }

  get seriesCount(): number {
    return this.series.size;
  }

  private index(line: string): void {
    if (!line.includes('"_aws"')) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    for (const metric of readEmf(parsed)) this.add(metric);
  }

  private add(metric: ReturnType<typeof readEmf>[number]): void {
    const key = keyOf(metric.identity);
    let series = this.series.get(key);
    if (!series) {
      if (this.series.size >= this.maxSeries) return;
      series = { identity: metric.identity, entries: [] };
      this.series.set(key, series);
    }
    const entry: Entry = { key, time: metric.time, values: metric.values, traceIds: metric.traceIds };
    series.entries.push(entry);
    this.queue.push(entry);
    this.held += entry.values.length;
    while (this.held > this.maxValues) this.forgetOldest();
  }

  private forgetOldest(): void {
    const oldest = this.queue[this.queueHead];
    if (!oldest) return;
    this.queueHead++;
    // Compact now and then rather than shifting on every eviction.
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.held -= oldest.values.length;
    const series = this.series.get(oldest.key);
    if (!series) return;
    // Entries of a series are in arrival order, so its oldest is the queue's oldest of that series.
    series.entries.shift();
    if (series.entries.length === 0) this.series.delete(oldest.key);
  }
}

function keyOf(identity: Pick<MetricIdentity, 'namespace' | 'name' | 'dimensions'>): string {
  const dims = Object.entries(identity.dimensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([identity.namespace, identity.name, dims]);
}

function pointOf(t: number, values: number[], traceIds: string[]): MetricPoint {
  let sum = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    sum += v;
    if (v > max) max = v;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(0.99 * sorted.length));
  return {
    t,
    count: values.length,
    sum,
    avg: sum / values.length,
    max,
    p99: sorted[rank - 1] as number,
    traceIds,
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const own = (record: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(record, key) ? record[key] : undefined;

const isName = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_CHARS;

/** A metric's root member: a finite number, or an array of 1 to 100 of them. */
function valuesOf(value: unknown): number[] | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? [value] : undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_VALUES_PER_METRIC) return undefined;
  return value.every((v) => typeof v === 'number' && Number.isFinite(v)) ? (value as number[]) : undefined;
}

/** The trace ids a line names: `traceId` (one request) and `exampleTraceIds` (an interval's examples). */
function traceIdsOf(doc: Record<string, unknown>): string[] {
  const ids = new Set<string>();
  const one = own(doc, 'traceId');
  if (typeof one === 'string' && TRACE_ID.test(one)) ids.add(one);
  const many = own(doc, 'exampleTraceIds');
  if (Array.isArray(many)) {
    for (const id of many) {
      if (ids.size >= MAX_EXAMPLES) break;
      if (typeof id === 'string' && TRACE_ID.test(id)) ids.add(id);
    }
  }
  return [...ids];
}

/** The metrics one parsed line carries, one per metric and dimension set; none when it is not valid EMF. */
export function readEmf(
  doc: unknown,
): { identity: MetricIdentity; time: number; values: number[]; traceIds: string[] }[] {
  if (!isRecord(doc)) return [];
  const meta = own(doc, '_aws');
  if (!isRecord(meta)) return [];
  const time = own(meta, 'Timestamp');
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) return [];
  const directives = own(meta, 'CloudWatchMetrics');
  if (!Array.isArray(directives)) return [];
  const traceIds = traceIdsOf(doc);
  const out: ReturnType<typeof readEmf> = [];
  for (const directive of directives) {
    if (!isRecord(directive)) continue;
    const namespace = own(directive, 'Namespace');
    const dimensionSets = own(directive, 'Dimensions');
    const metrics = own(directive, 'Metrics');
    if (!isName(namespace) || !Array.isArray(dimensionSets) || !Array.isArray(metrics)) continue;
    if (metrics.length > MAX_METRICS) continue;
    const sets: Record<string, string>[] = [];
    let valid = true;
    for (const set of dimensionSets.length === 0 ? [[]] : dimensionSets) {
      if (!Array.isArray(set) || set.length > MAX_DIMENSIONS) {
        valid = false;
        break;
      }
      const dimensions: Record<string, string> = Object.create(null);
      for (const key of set) {
        const value = isName(key) ? own(doc, key) : undefined;
        if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_CHARS) {
          valid = false;
          break;
        }
        dimensions[key as string] = value;
      }
      if (!valid) break;
      sets.push(dimensions);
    }
    if (!valid) continue;
    for (const metric of metrics) {
      if (!isRecord(metric)) continue;
      const name = own(metric, 'Name');
      if (!isName(name)) continue;
      const unit = own(metric, 'Unit');
      const values = valuesOf(own(doc, name));
      if (!values) continue;
      for (const dimensions of sets) {
        out.push({
          identity: { namespace, name, unit: isName(unit) ? unit : 'None', dimensions },
          time,
          values: [...values],
          traceIds,
        });
      }
    }
  }
  return out;
}
