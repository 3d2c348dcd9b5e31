/**
 * The X-Ray service's store under 100,000 traces: how long `GetTraceSummaries` takes over the whole
 * window (unfiltered and with filter expressions), and how much memory the store holds.
 *
 *   node --expose-gc --import tsx bench/xray-service/query.ts [traceCount]   (one JSON line: the result)
 *
 * The service runs in this process (`startXrayService`, loopback, port 0) so its heap can be measured;
 * traces are loaded through the API's PutTraceSegments handler in batches of 50 documents, queries go over
 * HTTP as a client would send them. Traces are the project's parcel path (`parcelTraceDocuments`): four
 * in five are cache misses (8 segment documents), one in five hits (2), so about 6.8 per trace.
 */
import { fileURLToPath } from 'node:url';
import { parcelTraceDocuments } from '@parcel/trace-model/testing';
import * as xrayService from '@parcel/xray-service';
import { type IngestResult, measureIngest } from './ingest';

export interface QueryTiming {
  expression: string | null;
  /** The first query after loading: pays for any per-trace analysis not done at ingest. */
  firstMs: number;
  /** Its CPU time (service and client together). */
  firstCpuMs: number;
  /** Median and best of the following runs. */
  medianMs: number;
  bestMs: number;
  /**
   * Median CPU time of the process (service and client together) per query: steadier than wall time on
   * a shared machine, where other processes only ever add wall time.
   */
  medianCpuMs: number;
  processed: number;
  matchedOnPage: number;
}

export interface XrayServiceResult {
  traces: number;
  segmentDocuments: number;
  loadSeconds: number;
  /** CPU time of the load (steadier than `loadSeconds` on a shared machine). */
  loadCpuSeconds: number;
  ingestSegmentsPerSecond: number;
  /**
   * Memory after a full GC, service with the traces minus before it started: the JS heap plus the
   * ArrayBuffers outside it (where buffers such as deflated documents live).
   */
  storeHeapMb: number;
  /** The same after the queries (any analysis and filter digests built lazily are now held). */
  storeHeapAfterQueriesMb: number;
  /** Bytes of the documents as received, per trace (what XRAY_MAX_BYTES bounds). */
  documentBytesPerTrace: number;
  /** Memory after the queries per trace, bytes; and that times 100,000 (the target: ≤ 300 MB). */
  heapBytesPerTrace: number;
  heapFor100kMb: number;
  filterWired: boolean;
  queries: QueryTiming[];
  ingest: IngestResult;
}

export const EXPRESSIONS = [
  'service("parcel-api") { fault }',
  'annotation.parcel_id = "RR123456785GB"',
  'responsetime > 1',
  // Root causes (computed once per trace revision by the trace model).
  'rootcause.fault.service { name = "vendor.localhost" }',
  'rootcause.responsetime.service { last AND name = "parcel-api" }',
];

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function gcHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** The documents of trace `i` of `count`, spread over the last 20 hours, ending a minute ago. */
function traceDocuments(i: number, count: number, now: number) {
  const start = now - 60 - ((count - i) / count) * 20 * 3600;
  const caches = ['miss', 'miss', 'hit', 'miss', 'stale'] as const;
  const vendors = ['ok', 'ok', 'ok', 'timeout', 'not_found'] as const;
  return parcelTraceDocuments({
    traceId: `1-${hex(Math.floor(start), 8)}-${hex(i, 24)}`,
    start,
    parcelId: i % 7 === 0 ? 'RR123456785GB' : `RR${String(i % 100_000_000).padStart(8, '0')}9GB`,
    cache: caches[i % caches.length],
    vendor: vendors[(i >> 1) % vendors.length],
    apiFault: i % 97 === 0,
    dynamoThrottle: i % 89 === 0,
    apiExtra: (i % 13) * 0.1,
    ...(i % 11 === 0 ? { user: 'alice' } : {}),
  });
}

export async function run(count = 100_000): Promise<XrayServiceResult> {
  const ingest = await measureIngest();
  console.error(
    `xray-service: ingest ${ingest.httpDocumentsPerSecond} docs/s over HTTP, ${ingest.daemonDocumentsPerSecond} docs/s through the daemon (${ingest.daemonLost} lost)`,
  );
  const heapBefore = gcHeap();
  const compilerFactory = (xrayService as Record<string, unknown>).xrayFilterCompiler as
    | (() => xrayService.XrayServiceOptions['filterCompiler'])
    | undefined;
  const filterCompiler = compilerFactory?.();
  const service = await xrayService.startXrayService(
    // Bounded well above what the run stores: the figure is what 100,000 traces cost, not the bound.
    { port: 0, bindHost: '127.0.0.1', maxTraces: count, maxBytes: 8 * 1024 ** 3 },
    { ...(filterCompiler ? { filterCompiler } : {}) },
  );
  try {
    const now = Date.now() / 1000;
    let segmentDocuments = 0;
    let batch: string[] = [];
    const t0 = performance.now();
    const loadCpuBefore = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      for (const doc of traceDocuments(i, count, now)) {
        batch.push(JSON.stringify(doc));
        if (batch.length === 50) {
          segmentDocuments += batch.length;
          service.api.putTraceSegments({ TraceSegmentDocuments: batch });
          batch = [];
        }
      }
    }
    if (batch.length > 0) {
      segmentDocuments += batch.length;
      service.api.putTraceSegments({ TraceSegmentDocuments: batch });
      batch = [];
    }
    const loadSeconds = (performance.now() - t0) / 1000;
    const loadCpu = process.cpuUsage(loadCpuBefore);
    const loadCpuSeconds = (loadCpu.user + loadCpu.system) / 1e6;
    if (service.api.store.size !== count)
      throw new Error(`store holds ${service.api.store.size} traces, expected ${count}`);
    const storeHeap = gcHeap() - heapBefore;

    const query = async (expression: string | null) => {
      const body = {
        StartTime: Math.floor(now) - 24 * 3600 + 1,
        EndTime: Math.ceil(now),
        ...(expression ? { FilterExpression: expression } : {}),
      };
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const res = await fetch(`${service.url}/TraceSummaries`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as { TraceSummaries?: unknown[]; TracesProcessedCount?: number };
      const ms = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      if (res.status !== 200) throw new Error(`GetTraceSummaries ${res.status}: ${JSON.stringify(answer)}`);
      return {
        ms,
        cpuMs,
        processed: answer.TracesProcessedCount ?? 0,
        matched: answer.TraceSummaries?.length ?? 0,
      };
    };

    const queries: QueryTiming[] = [];
    for (const expression of [null, ...(filterCompiler ? EXPRESSIONS : [])]) {
      const first = await query(expression);
      const runs: number[] = [];
      const cpuRuns: number[] = [];
      for (let r = 0; r < 5; r++) {
        const q = await query(expression);
        runs.push(q.ms);
        cpuRuns.push(q.cpuMs);
      }
      runs.sort((a, b) => a - b);
      cpuRuns.sort((a, b) => a - b);
      const round = (n: number) => Math.round(n * 10) / 10;
      queries.push({
        expression,
        firstMs: round(first.ms),
        firstCpuMs: round(first.cpuMs),
        medianMs: round(runs[2] as number),
        bestMs: round(runs[0] as number),
        medianCpuMs: round(cpuRuns[2] as number),
        processed: first.processed,
        matchedOnPage: first.matched,
      });
      console.error(
        `xray-service: ${expression ?? '(no filter)'}: first ${round(first.ms)} ms (CPU ${round(first.cpuMs)} ms), median ${round(runs[2] as number)} ms, ` +
          `CPU ${round(cpuRuns[2] as number)} ms, ${first.processed} processed, ${first.matched} on the page`,
      );
    }
    const afterQueries = gcHeap() - heapBefore;
    const documentBytes = service.api.store.bytes;
    return {
      documentBytesPerTrace: Math.round(documentBytes / count),
      heapBytesPerTrace: Math.round(afterQueries / count),
      heapFor100kMb: mb((afterQueries / count) * 100_000),
      ingest,
      traces: count,
      segmentDocuments,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      loadCpuSeconds: Math.round(loadCpuSeconds * 10) / 10,
      ingestSegmentsPerSecond: Math.round(segmentDocuments / loadSeconds),
      storeHeapMb: mb(storeHeap),
      storeHeapAfterQueriesMb: mb(afterQueries),
      filterWired: filterCompiler !== undefined,
      queries,
    };
  } finally {
    await service.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await run(Number(process.argv[2] ?? 100_000));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
