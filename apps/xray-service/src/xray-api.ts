import { assembledSegments } from '@parcel/trace-model';
import { type SegmentDoc, validateSegment } from '@parcel/xray-protocol';
import { ApiError, invalidRequest } from './api-error';
import { newestPage } from './newest-page';
import type { SamplingTable, StoredRule } from './sampling-table';
import { buildServiceGraph } from './service-graph';
import type { TraceEntry, TraceStore } from './trace-store';
import { traceSummaryWire } from './trace-summary';
import { readEpochSeconds } from './wire-time';

/** A compiled filter expression: true when the trace matches (it reads `trace.model()`). */
export type TracePredicate = (trace: TraceEntry) => boolean;
/**
 * Compiles an X-Ray filter expression. Throws (any Error; its message is shown to the caller) when the
 * expression is invalid — the API answers 400 InvalidRequestException.
 */
export type FilterCompiler = (expression: string) => TracePredicate;
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

  constructor(
    readonly store: TraceStore,
    readonly sampling: SamplingTable,
    opts: { filterCompiler?: FilterCompiler; pageSize?: number } = {},
  ) {
    this.filterCompiler = opts.filterCompiler;
    this.pageSize = opts.pageSize ?? 100;
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
      if (!this.filterCompiler) throw invalidRequest('Filter expressions are not supported by this service');
      try {
        predicate = this.filterCompiler(body.FilterExpression);
      } catch (err) {
        // A syntax error carries the 0-based offset it was found at: name it, so the caller can point at it.
        const position = (err as { position?: unknown }).position;
        const where = typeof position === 'number' ? ` at position ${position}` : '';
        throw invalidRequest(`Invalid filter expression${where}: ${(err as Error).message}`);
      }
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
    const models = [...this.store.inRange(start, end, 'Event')].map((e) => e.model());
    return {
      Services: buildServiceGraph(models),
      StartTime: start,
      EndTime: end,
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
