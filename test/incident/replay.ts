import { loadavg } from 'node:os';
import type { XRayClient } from '@aws-sdk/client-xray';
import { SAMPLE_PARCELS } from '@parcel/contract';
import { type Analysis, analyze, formatAnalysis } from '@parcel/trace-analysis';
import type { TraceModel } from '@parcel/trace-model';
import { getTraces, listTraceIds } from '@parcel/traces-cli';
import type { TestStack } from '../support/stack';
import { xrayClient } from '../support/traces';
import { vendorAdmin } from '../support/vendor-admin';
import { type LatencySummary, type RequestResult, runLoad, summarize } from './load';

/** The worked example's degradation: 10 % of vendor calls take 1.1 s. */
export const DEGRADED_VENDOR = { slowFraction: 0.1, slowMs: 1100 } as const;
/** The subsegment the analysis must blame: the vendor call made by warehouse-query. */
export const VENDOR_SUBSEGMENT = 'vendor.localhost';
/** The stack environment the replay needs: a 1 s cache so a steady share of requests miss. */
export const INCIDENT_STACK_ENV = { CACHE_TTL_SECONDS: '1' } as const;
/** How every request is sampled in: its own trace header, so the analysis sees every request. */
export const SAMPLING_NOTE =
  'every request sent with X-Amzn-Trace-Id: Root=<own id>;Sampled=1 (the edge honours it)';

export interface ReplayOptions {
  rate: number;
  seconds: { baseline: number; degraded: number; withTimeout: number };
  /** The bound on the with-timeout phase, and the percentile it applies to (the issue's is p99 < 500 ms). */
  timeoutBound: { percentile: 'p50' | 'p90' | 'p99'; ms: number };
  /** Lower bound on the without-timeout p99 (the vendor's 1.1 s shows through). */
  degradedP99AboveMs: number;
  log?: (line: string) => void;
}

export const FULL_REPLAY: ReplayOptions = {
  rate: 40,
  seconds: { baseline: 20, degraded: 30, withTimeout: 30 },
  timeoutBound: { percentile: 'p99', ms: 500 },
  degradedP99AboveMs: 1100,
};

export interface PhaseReport {
  name: 'baseline' | 'degraded, no timeout' | 'degraded, timeout 400 ms';
  latency: LatencySummary;
  skipped: number;
  /** vendor_stale EMF lines parcel-api wrote during the phase (sum of their values). */
  staleEmf: number;
  /** The machine's 1-minute load average at the phase's end: figures from a shared machine need it. */
  loadAverage: number;
  start: Date;
  end: Date;
}

export interface ReplayReport {
  phases: PhaseReport[];
  analysis: Analysis;
  analysisText: string;
  /** Traces of the degraded phase found through GetTraceSummaries, of those sent. */
  tracesRead: number;
  tracesSent: number;
  blamed: string | undefined;
  exampleTraceIds: string[];
  problems: string[];
}

/** Parcels both sides know plus warehouse-only ones: every miss calls the vendor. */
export const INCIDENT_PARCELS = SAMPLE_PARCELS.filter((p) => p.warehouse !== null).map((p) => p.id);

/** Sum of `vendor_stale` in parcel-api's EMF lines from `from` on (real EMF: `_aws.CloudWatchMetrics`). */
export function countVendorStale(
  lines: readonly { name: string; line: string }[],
  from = 0,
  to = lines.length,
) {
  let total = 0;
  for (let i = from; i < to; i++) {
    const entry = lines[i];
    if (entry?.name !== 'parcel-api' || !entry.line.includes('"_aws"')) continue;
    try {
      const doc = JSON.parse(entry.line) as {
        _aws?: { CloudWatchMetrics?: { Namespace?: string; Metrics?: { Name?: string }[] }[] };
        vendor_stale?: number;
      };
      const declared = doc._aws?.CloudWatchMetrics?.some(
        (d) => d.Namespace === 'ParcelTracking' && d.Metrics?.some((m) => m.Name === 'vendor_stale'),
      );
      if (declared && typeof doc.vendor_stale === 'number') total += doc.vendor_stale;
    } catch {
      // Not JSON: not a metric.
    }
  }
  return total;
}

async function runPhase(
  stack: TestStack,
  name: PhaseReport['name'],
  rate: number,
  seconds: number,
): Promise<PhaseReport & { results: RequestResult[] }> {
  const from = stack.lines.length;
  const load = await runLoad({
    baseUrl: stack.endpoints.gateway,
    rate,
    seconds,
    parcelIds: INCIDENT_PARCELS,
  });
  // EMF lines are written before the answer leaves parcel-api; give the pipe a moment to deliver them.
  await new Promise((r) => setTimeout(r, 300));
  return {
    name,
    latency: summarize(load.results),
    skipped: load.skipped,
    staleEmf: countVendorStale(stack.lines, from),
    loadAverage: loadavg()[0] ?? 0,
    start: load.start,
    end: load.end,
    results: load.results,
  };
}

/**
 * The phase's traces, read back as an on-call engineer would: GetTraceSummaries over the phase's window
 * (paged), then BatchGetTraces. Only the replay's own requests are kept (their ids are known), and reading
 * waits until the daemon has delivered them.
 */
async function readPhaseTraces(
  xray: XRayClient,
  phase: { start: Date; end: Date; results: RequestResult[] },
): Promise<TraceModel[]> {
  const sent = new Set(phase.results.map((r) => r.traceId));
  const window = { start: new Date(phase.start.getTime() - 1000), end: new Date(phase.end.getTime() + 1000) };
  let ids: string[] = [];
  let previous = -1;
  const deadline = Date.now() + 30_000;
  // The daemon sends batches every second; stop once two polls agree (or nearly all are in).
  while (Date.now() < deadline) {
    ids = (await listTraceIds(xray, window)).filter((id) => sent.has(id));
    if (ids.length >= sent.size * 0.99 || ids.length === previous) break;
    previous = ids.length;
    await new Promise((r) => setTimeout(r, 2000));
  }
  // Late subsegments (the slow vendor calls end last): one more second before reading documents.
  await new Promise((r) => setTimeout(r, 1000));
  return getTraces(xray, ids);
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

export function formatPhases(phases: readonly PhaseReport[]): string {
  const rows = phases.map((p) => {
    const bad = Object.entries(p.latency.statuses)
      .filter(([s]) => s !== '200')
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    return [
      p.name.padEnd(26),
      String(p.latency.count).padStart(6),
      fmt(p.latency.p50).padStart(8),
      fmt(p.latency.p90).padStart(8),
      fmt(p.latency.p99).padStart(8),
      fmt(p.latency.max).padStart(8),
      String(p.latency.stale).padStart(12),
      String(p.staleEmf).padStart(14),
      p.loadAverage.toFixed(1).padStart(5),
      ` ${bad || '-'}${p.skipped ? ` skipped×${p.skipped}` : ''}`,
    ].join('  ');
  });
  const head = [
    'phase'.padEnd(26),
    'sent'.padStart(6),
    'p50'.padStart(8),
    'p90'.padStart(8),
    'p99'.padStart(8),
    'max'.padStart(8),
    'stale (hdr)'.padStart(12),
    'vendor_stale'.padStart(14),
    'load'.padStart(5),
    ' non-200',
  ].join('  ');
  return [head, '─'.repeat(head.length + 4), ...rows].join('\n');
}

/**
 * Replays the incident on a running stack (started with INCIDENT_STACK_ENV): baseline, then the vendor
 * degrades with warehouse-query's timeout disabled, then with it enabled. Returns the figures and the
 * problems found (empty when the shape is the expected one).
 */
export async function replayIncident(stack: TestStack, opts: ReplayOptions): Promise<ReplayReport> {
  const log = opts.log ?? (() => {});
  const xray = xrayClient(stack.endpoints.xray);
  const phases: (PhaseReport & { results: RequestResult[] })[] = [];
  try {
    await vendorAdmin(stack.endpoints, 'POST', '/__admin/reset');
    log(`warm-up: one request per parcel (${INCIDENT_PARCELS.length} ids), then 5 s at ${opts.rate} req/s`);
    for (const id of INCIDENT_PARCELS) {
      await fetch(`${stack.endpoints.gateway}/parcels/${id}`).then((r) => r.arrayBuffer());
    }
    // Then a few seconds at the phase rate, unmeasured: cold JIT and connection pools are not the baseline.
    const settle = () =>
      runLoad({ baseUrl: stack.endpoints.gateway, rate: opts.rate, seconds: 5, parcelIds: INCIDENT_PARCELS });
    await settle();

    log(`phase "baseline": ${opts.rate} req/s for ${opts.seconds.baseline} s, vendor healthy`);
    phases.push(await runPhase(stack, 'baseline', opts.rate, opts.seconds.baseline));

    log('warehouse-query restarted with VENDOR_TIMEOUT_MS=0; vendor degraded: 10 % of calls at 1.1 s');
    await stack.startPiece('warehouse-query', { VENDOR_TIMEOUT_MS: '0' });
    await vendorAdmin(stack.endpoints, 'PUT', '/__admin/profile', DEGRADED_VENDOR);
    // A freshly started warehouse-query is cold (JIT, database pool, TLS to the vendor): settle it unmeasured,
    // as a deploy's new task would be before it takes its share of traffic.
    await settle();
    log(`phase "degraded, no timeout": ${opts.rate} req/s for ${opts.seconds.degraded} s`);
    const degraded = await runPhase(stack, 'degraded, no timeout', opts.rate, opts.seconds.degraded);
    phases.push(degraded);

    log('warehouse-query restarted with VENDOR_TIMEOUT_MS=400 (vendor still degraded)');
    await stack.startPiece('warehouse-query', { VENDOR_TIMEOUT_MS: '400' });
    await settle();
    log(`phase "degraded, timeout 400 ms": ${opts.rate} req/s for ${opts.seconds.withTimeout} s`);
    phases.push(await runPhase(stack, 'degraded, timeout 400 ms', opts.rate, opts.seconds.withTimeout));

    log('reading the degraded phase back from X-Ray (GetTraceSummaries + BatchGetTraces)');
    const traces = await readPhaseTraces(xray, degraded);
    const analysis = analyze(traces);
    const culprit = analysis.rows[0];
    const blamed = culprit?.key;

    const problems: string[] = [];
    const [base, noTimeout, withTimeout] = phases as unknown as [PhaseReport, PhaseReport, PhaseReport];
    if (!blamed?.endsWith(VENDOR_SUBSEGMENT)) {
      problems.push(`the analysis blames ${blamed ?? 'nothing'}, not the ${VENDOR_SUBSEGMENT} subsegment`);
    }
    if (!(noTimeout.latency.p99 > opts.degradedP99AboveMs)) {
      problems.push(
        `without the timeout p99 is ${fmt(noTimeout.latency.p99)}, expected above ${opts.degradedP99AboveMs} ms`,
      );
    }
    const bound = withTimeout.latency[opts.timeoutBound.percentile];
    if (!(bound < opts.timeoutBound.ms)) {
      problems.push(
        `with the timeout ${opts.timeoutBound.percentile} is ${fmt(bound)}, expected under ${opts.timeoutBound.ms} ms`,
      );
    }
    if (withTimeout.staleEmf === 0) problems.push('no vendor_stale was counted while the vendor timed out');
    for (const p of [base, noTimeout, withTimeout]) {
      const failed = p.latency.count - (p.latency.statuses['200'] ?? 0);
      if (failed > p.latency.count * 0.01) problems.push(`${p.name}: ${failed} answers were not 200`);
      if (p.skipped > 0) problems.push(`${p.name}: ${p.skipped} requests skipped (too many in flight)`);
    }
    if (traces.length < degraded.results.length * 0.9) {
      problems.push(
        `only ${traces.length} of ${degraded.results.length} degraded-phase traces were read back`,
      );
    }
    return {
      phases: phases.map(({ results: _results, ...p }) => p),
      analysis,
      analysisText: formatAnalysis(analysis, 12),
      tracesRead: traces.length,
      tracesSent: degraded.results.length,
      blamed,
      exampleTraceIds: culprit?.exampleTraceIds ?? [],
      problems,
    };
  } finally {
    xray.destroy();
    await vendorAdmin(stack.endpoints, 'POST', '/__admin/reset').catch(() => {});
  }
}
