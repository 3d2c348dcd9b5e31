import { XRAY_GROUPS, type XrayGroup } from '@parcel/sampling-rules';
import { assembledSegments, type FactsView, type TraceView } from '@parcel/trace-model';
import { type FilterAst, parseFilter } from '@parcel/xray-filter';
import { type SegmentDoc, validateSegment } from '@parcel/xray-protocol';
import { ApiError, invalidRequest } from './api-error';
import { GroupTable, type StoredGroup } from './groups';
import { newestPage } from './newest-page';
import type { SamplingTable, StoredRule } from './sampling-table';
import { buildServiceGraph } from './service-graph';
import {
  type Aggregate,
  add,
  FORECAST_PERIODS,
  faultForecast,
  finish,
  histogramWire,
  newAggregate,
} from './statistics';
import type { TraceEntry, TraceStore } from './trace-store';
import { traceSummaryWire } from './trace-summary';
import { readEpochSeconds } from './wire-time';

/** A compiled filter expression: true when the trace matches (it reads `trace.view()`). */
export type TracePredicate = (trace: TraceEntry) => boolean;
/**
 * Compiles an X-Ray filter expression. Throws (any Error; its message is shown to the caller) when the
 * expression is invalid — the API answers 400 InvalidRequestException.
 */
export type FilterCompiler = (expression: string, groups?: GroupLookup) => TracePredicate;
/** A group's filter expression by name or ARN (`group.name = "…"` in an expression). */
export type GroupLookup = (by: 'name' | 'arn', value: string) => string | undefined;
// `xrayFilterCompiler()` (filter-compiler.ts) plugs in @parcel/xray-filter; main.ts uses it.

/** Who asks: the AWS SDKs and CLI read REST-JSON timestamps as epoch seconds; others get milliseconds. */
export interface CallContext {
  timeFormat: 'epoch-seconds' | 'epoch-millis';
}

const MAX_SEGMENT_BYTES = 64 * 1024;
const MAX_TIME_RANGE_S = 24 * 60 * 60;
const MAX_BATCH_TRACE_IDS = 100;

/**
 * The X-Ray API operations this service answers, each taking the parsed request body and returning the
 * response body. Transport (HTTP, errors on the wire) lives in server.ts.
 */
export class XrayApi {
  private filterCompiler: FilterCompiler | undefined;

  readonly groups: GroupTable;

  constructor(
    readonly store: TraceStore,
    readonly sampling: SamplingTable,
    opts: {
      filterCompiler?: FilterCompiler;
      pageSize?: number;
      groups?: readonly XrayGroup[];
      region?: string;
      account?: string;
    } = {},
  ) {
    this.filterCompiler = opts.filterCompiler;
    this.pageSize = opts.pageSize ?? 100;
    // Seeded groups are the project's own: their expressions are checked once a compiler is plugged in.
    this.groups = new GroupTable(
      opts.groups ?? XRAY_GROUPS,
      opts.region ?? 'us-east-1',
      opts.account ?? '000000000000',
      (expression) => {
        if (this.filterCompiler) this.compileFilter(expression);
      },
    );
  }

  /**
   * Compiles a filter expression (with `group.name`/`group.arn` resolved against the groups), or throws a
   * 400 that names the position of a syntax error.
   */
  compileFilter(expression: string): TracePredicate {
    if (!this.filterCompiler) throw invalidRequest('Filter expressions are not supported by this service');
    try {
      return this.filterCompiler(expression, this.groups.expressionOf);
    } catch (err) {
      const position = (err as { position?: unknown }).position;
      const where = typeof position === 'number' ? ` at position ${position}` : '';
      const failure = invalidRequest(`Invalid filter expression${where}: ${(err as Error).message}`);
      if (typeof position === 'number') (failure as { position?: number }).position = position;
      throw failure;
    }
  }

  /** The predicate of a request's GroupName/GroupARN, or undefined when it names no group. */
  private groupPredicate(body: Record<string, unknown>): TracePredicate | undefined {
    if (body.GroupName === undefined && body.GroupARN === undefined) return undefined;
    const group = this.groups.get(body);
    return group.FilterExpression.trim() === '' ? undefined : this.compileFilter(group.FilterExpression);
  }

  private readonly pageSize: number;
  /** PutTraceSegments documents: at any moment received = stored + unprocessed. */
  readonly ingest = { received: 0, stored: 0, unprocessed: 0 };

  /** Plugs in (or replaces) the filter-expression compiler GetTraceSummaries uses. */
  setFilterCompiler(compiler: FilterCompiler | undefined): void {
    this.filterCompiler = compiler;
  }

  putTraceSegments(body: Record<string, unknown>) {
    const docs = body.TraceSegmentDocuments;
    if (!Array.isArray(docs) || docs.some((d) => typeof d !== 'string'))
      throw invalidRequest('TraceSegmentDocuments must be a list of strings');
    const unprocessed: { Id?: string; ErrorCode: string; Message: string }[] = [];
    for (const text of docs as string[]) {
      if (text.length > MAX_SEGMENT_BYTES && Buffer.byteLength(text) > MAX_SEGMENT_BYTES) {
        unprocessed.push({
          ErrorCode: 'SegmentTooLarge',
          Message: `Segment exceeds ${MAX_SEGMENT_BYTES} bytes`,
        });
        continue;
      }
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        unprocessed.push({ ErrorCode: 'InvalidSegment', Message: 'Segment is not valid JSON' });
        continue;
      }
      const problem = validateSegment(doc);
      if (problem) {
        const id = (doc as { id?: unknown } | null)?.id;
        unprocessed.push({
          ...(typeof id === 'string' ? { Id: id } : {}),
          ErrorCode: 'InvalidSegment',
          Message: problem,
        });
        continue;
      }
      const refused = this.store.put(doc as SegmentDoc, Buffer.byteLength(text));
      if (refused) {
        unprocessed.push({ Id: (doc as SegmentDoc).id, ErrorCode: refused.code, Message: refused.message });
      }
    }
    this.ingest.received += docs.length;
    this.ingest.unprocessed += unprocessed.length;
    this.ingest.stored += docs.length - unprocessed.length;
    return { UnprocessedTraceSegments: unprocessed };
  }

  getTraceSummaries(body: Record<string, unknown>) {
    const start = readEpochSeconds(body.StartTime, 'StartTime');
    const end = readEpochSeconds(body.EndTime, 'EndTime');
    if (end < start) throw invalidRequest('EndTime must not be before StartTime');
    if (end - start > MAX_TIME_RANGE_S) throw invalidRequest('The time range must not exceed 24 hours');
    const rangeType = body.TimeRangeType ?? 'TraceId';
    if (rangeType !== 'TraceId' && rangeType !== 'Event')
      throw invalidRequest('TimeRangeType must be TraceId or Event');
    let predicate: TracePredicate | undefined;
    if (typeof body.FilterExpression === 'string' && body.FilterExpression.trim() !== '') {
      // A syntax error carries the 0-based offset it was found at: the message names it.
      predicate = this.compileFilter(body.FilterExpression);
    } else if (body.FilterExpression !== undefined && typeof body.FilterExpression !== 'string') {
      throw invalidRequest('FilterExpression must be a string');
    }
    const after = body.NextToken === undefined ? undefined : decodeToken(body.NextToken);

    // Only the page's traces are summarised; older traces past a full page are counted, not modelled.
    const { page, processed, more } = newestPage(
      // Newest first: once the page is full, older traces are only counted, not filtered.
      this.store.newestFirst(start, end, rangeType),
      this.pageSize,
      predicate,
      after,
    );
    const last = page[page.length - 1];
    return {
      TraceSummaries: page.map((e) => traceSummaryWire(e.model(), e.revision)),
      ApproximateTime: Math.floor(Date.now() / 1000),
      TracesProcessedCount: processed,
      ...(more && last ? { NextToken: encodeToken(last.startTime, last.id) } : {}),
    };
  }

  batchGetTraces(body: Record<string, unknown>) {
    const ids = body.TraceIds;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))
      throw invalidRequest('TraceIds must be a list of strings');
    if (ids.length > MAX_BATCH_TRACE_IDS)
      throw invalidRequest(`At most ${MAX_BATCH_TRACE_IDS} TraceIds per call`);
    const traces: unknown[] = [];
    const unprocessed: string[] = [];
    for (const id of new Set(ids as string[])) {
      const model = this.store.model(id);
      if (!model) {
        unprocessed.push(id);
        continue;
      }
      traces.push({
        Id: model.id,
        Duration: Math.round(model.duration * 1000) / 1000,
        LimitExceeded: false,
        Segments: assembledSegments(model).map((seg) => ({ Id: seg.id, Document: JSON.stringify(seg) })),
      });
    }
    return { Traces: traces, UnprocessedTraceIds: unprocessed };
  }

  getServiceGraph(body: Record<string, unknown>) {
    const start = readEpochSeconds(body.StartTime, 'StartTime');
    const end = readEpochSeconds(body.EndTime, 'EndTime');
    if (end < start) throw invalidRequest('EndTime must not be before StartTime');
    const inGroup = this.groupPredicate(body);
    const views: TraceView[] = [];
    for (const entry of this.store.inRange(start, end, 'Event')) {
      if (!inGroup || inGroup(entry)) views.push(entry.view());
    }
    return {
      Services: buildServiceGraph(views),
      StartTime: start,
      EndTime: end,
      ContainsOldGroupVersions: false,
    };
  }

  createGroup(body: Record<string, unknown>) {
    return { Group: this.groups.create(body) };
  }

  getGroup(body: Record<string, unknown>) {
    return { Group: this.groups.get(body) };
  }

  getGroups(_body: Record<string, unknown>) {
    return { Groups: this.groups.list() satisfies StoredGroup[] };
  }

  updateGroup(body: Record<string, unknown>) {
    return { Group: this.groups.update(body) };
  }

  deleteGroup(body: Record<string, unknown>) {
    this.groups.delete(body);
    return {};
  }

  /**
   * GetTimeSeriesServiceStatistics: per `Period` (60 s by default, a multiple of 60), the statistics of
   * the node or edge `EntitySelectorExpression` names (`service("…")`, `edge("…", "…")`, as in filters),
   * or, without one, of the traces themselves (their entry points), within the group if one is named.
   * `ForecastStatistics` adds each point's `ServiceForecastStatistics` (`faultForecast`, from the node's
   * fault counts in the periods before it, earlier than `StartTime` too); "forecast enabled requests
   * require the EntitySelectorExpression ID be provided" (X-Ray API reference), a node's.
   */
  getTimeSeriesServiceStatistics(body: Record<string, unknown>) {
    const start = readEpochSeconds(body.StartTime, 'StartTime');
    const end = readEpochSeconds(body.EndTime, 'EndTime');
    if (end < start) throw invalidRequest('EndTime must not be before StartTime');
    if (end - start > MAX_TIME_RANGE_S) throw invalidRequest('The time range must not exceed 24 hours');
    const period = body.Period ?? 60;
    if (typeof period !== 'number' || !Number.isInteger(period) || period < 60 || period % 60 !== 0)
      throw invalidRequest('Period must be a multiple of 60 seconds');
    if (body.ForecastStatistics !== undefined && typeof body.ForecastStatistics !== 'boolean')
      throw invalidRequest('ForecastStatistics must be a boolean');
    const forecast = body.ForecastStatistics === true;
    const inGroup = this.groupPredicate(body);
    const selector = body.EntitySelectorExpression;
    if (selector !== undefined && typeof selector !== 'string')
      throw invalidRequest('EntitySelectorExpression must be a string');
    const select = selector ? entitySelector(selector) : undefined;
    if (forecast && select?.kind !== 'service')
      throw invalidRequest('ForecastStatistics requires an EntitySelectorExpression naming a service');
    // A forecast looks back FORECAST_PERIODS periods before the first point.
    const firstPoint = Math.floor(start / period) * period;
    const historyStart = forecast ? firstPoint - FORECAST_PERIODS * period : start;
    const buckets = new Map<number, Aggregate>();
    const faultsPerPeriod = new Map<number, number>();
    const count = (facts: FactsView) => {
      if (facts.start < historyStart || facts.start > end) return;
      const bucket = Math.floor(facts.start / period) * period;
      if (forecast && facts.fault) faultsPerPeriod.set(bucket, (faultsPerPeriod.get(bucket) ?? 0) + 1);
      if (facts.start < start) return;
      let agg = buckets.get(bucket);
      if (!agg) {
        agg = newAggregate();
        buckets.set(bucket, agg);
      }
      add(agg, facts, facts.start, facts.start + (facts.responseTime ?? 0));
    };
    for (const entry of this.store.inRange(historyStart, end, 'Event')) {
      if (inGroup && !inGroup(entry)) continue;
      const view = entry.view();
      if (!select) {
        // The root segment's own facts: the one fact marked `root`, on the root node.
        const rootNode = view.services.find((node) => node.root);
        const root = rootNode && view.factsOf(rootNode).find((f) => f.root);
        if (root) count(root);
        continue;
      }
      if (select.kind === 'service') {
        for (const node of view.services)
          if (select.matches(node)) for (const f of view.factsOf(node)) count(f);
      } else {
        for (const edge of view.edges)
          if (select.matches(edge.from, edge.to)) for (const f of view.factsOf(edge)) count(f);
      }
    }
    const key = select?.kind === 'edge' ? 'EdgeSummaryStatistics' : 'ServiceSummaryStatistics';
    const forecastAt = (timestamp: number) =>
      faultForecast(
        Array.from(
          { length: FORECAST_PERIODS },
          (_, k) => faultsPerPeriod.get(timestamp - (k + 1) * period) ?? 0,
        ),
      );
    return {
      TimeSeriesServiceStatistics: [...buckets]
        .sort((a, b) => a[0] - b[0])
        .map(([timestamp, agg]) => ({
          Timestamp: timestamp,
          [key]: finish(agg.stats),
          ...(forecast ? { ServiceForecastStatistics: forecastAt(timestamp) } : {}),
          ResponseTimeHistogram: histogramWire(agg.histogram),
        })),
      ContainsOldGroupVersions: false,
    };
  }

  getSamplingRules(ctx: CallContext) {
    return { SamplingRuleRecords: this.sampling.list().map((r) => ruleRecord(r, ctx)) };
  }

  createSamplingRule(body: Record<string, unknown>, ctx: CallContext) {
    return { SamplingRuleRecord: ruleRecord(this.sampling.create(body.SamplingRule), ctx) };
  }

  updateSamplingRule(body: Record<string, unknown>, ctx: CallContext) {
    return { SamplingRuleRecord: ruleRecord(this.sampling.update(body.SamplingRuleUpdate), ctx) };
  }

  deleteSamplingRule(body: Record<string, unknown>, ctx: CallContext) {
    return { SamplingRuleRecord: ruleRecord(this.sampling.delete(body.RuleName, body.RuleARN), ctx) };
  }

  getSamplingTargets(body: Record<string, unknown>, ctx: CallContext) {
    const result = this.sampling.targets(body);
    return {
      SamplingTargetDocuments: result.SamplingTargetDocuments.map((d) => ({
        ...d,
        ReservoirQuotaTTL: wireTime(d.ReservoirQuotaTTL, ctx),
      })),
      LastRuleModification: wireTime(result.LastRuleModification, ctx),
      UnprocessedStatistics: result.UnprocessedStatistics,
    };
  }
}

type NodeSelection = { name: string | null; type: string | null };
const selects = (sel: NodeSelection, node: { name: string; type?: string }) =>
  (sel.name === null || sel.name === node.name) && (sel.type === null || sel.type === node.type);

/** Reads `service(…)` / `edge(…, …)` (no `{ }`: the selector names an entity, it does not filter). */
function entitySelector(text: string):
  | { kind: 'service'; matches: (node: { name: string; type?: string }) => boolean }
  | {
      kind: 'edge';
      matches: (from: { name: string; type?: string }, to: { name: string; type?: string }) => boolean;
    } {
  let ast: FilterAst;
  try {
    ast = parseFilter(text);
  } catch (err) {
    throw invalidRequest(`Invalid EntitySelectorExpression: ${(err as Error).message}`);
  }
  if (ast.kind === 'service' && ast.filter === null) {
    const node = ast.node;
    return { kind: 'service', matches: (n) => selects(node, n) };
  }
  if (ast.kind === 'edge' && ast.filter === null) {
    const { from, to } = ast;
    return { kind: 'edge', matches: (a, b) => selects(from, a) && selects(to, b) };
  }
  throw invalidRequest('EntitySelectorExpression is service("…") or edge("…", "…")');
}

function ruleRecord(stored: StoredRule, ctx: CallContext) {
  return {
    SamplingRule: stored.rule,
    CreatedAt: wireTime(stored.createdAt, ctx),
    ModifiedAt: wireTime(stored.modifiedAt, ctx),
  };
}

const wireTime = (ms: number, ctx: CallContext) => (ctx.timeFormat === 'epoch-seconds' ? ms / 1000 : ms);

function encodeToken(t: number, id: string): string {
  return Buffer.from(JSON.stringify({ t, id })).toString('base64url');
}

function decodeToken(token: unknown): { t: number; id: string } {
  if (typeof token === 'string') {
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
        t?: unknown;
        id?: unknown;
      };
      if (typeof parsed.t === 'number' && typeof parsed.id === 'string')
        return { t: parsed.t, id: parsed.id };
    } catch {
      // fall through: a token we did not issue
    }
  }
  throw new ApiError(400, 'InvalidRequestException', 'NextToken is not valid');
}
