/**
 * The soak: bounded open-loop load through the whole local stack, in bursts separated by idle gaps longer
 * than the services' keep-alive (so every pool between hops sees its connections expire and be replaced),
 * with a progress line every few seconds, memory of every piece, the pipeline's counters and the share
 * of requests traced. `npm run soak` prints it; `test/soak.test.ts` runs a short one in CI.
 */
import { loadavg } from 'node:os';
import { readGatewayConfig, serverTimeoutsBehind } from '@parcel/config';
import { findSampleParcel, makeParcelId, SAMPLE_PARCELS } from '@parcel/contract';
import { matchingRule, SAMPLING_RULES, type SamplingRule } from '@parcel/sampling-rules';
import { percentile } from '@parcel/trace-analysis';
import { newTraceId } from '@parcel/xray-protocol';
import { type LatencySummary, type RequestResult, runLoad, summarize } from '../incident/load';
import type { TestStack } from '../support/stack';
import { counterProblems, drained, formatCounters, type StackCounters } from './counters';
import { formatMemory, growingPieces, type MemorySample, sampleMemory } from './pieces';

/** Shares of the three kinds of request, each in [0, 1], summing to 1. */
export interface SoakMix {
  /** Sample parcels someone knows: 200, from the cache or a fan-out. */
  known: number;
  /** Well-formed S10 ids (right check digit) nobody knows: 404, after a fan-out every time. */
  unknown: number;
  /** Ids the contract refuses: 400 at parcel-api, no fan-out. */
  malformed: number;
}

export const DEFAULT_MIX: SoakMix = { known: 0.8, unknown: 0.1, malformed: 0.1 };

export interface SoakOptions {
  /** Requests per second during a burst (open loop). */
  rate: number;
  /** Seconds of load in all (the bursts' total); the run stops by itself after them. */
  seconds: number;
  burstSeconds: number;
  /** Idle seconds between bursts; longer than the services' keep-alive (`gapAfterKeepAlive`). */
  gapSeconds: number;
  mix: SoakMix;
  progressEverySeconds: number;
  /** Bursts whose memory is warm-up; growth is judged on the checkpoints after them. */
  warmupBursts: number;
  log: (line: string) => void;
}

export interface SoakReport {
  latency: LatencySummary;
  memory: { label: string; sample: MemorySample }[];
  growing: string[];
  counters: StackCounters;
  sampling: { requests: number; traced: number; expected: number; rule: string };
  problems: string[];
}

/** The idle gap that outlasts a service's keep-alive behind a load balancer with this idle timeout. */
export function gapAfterKeepAlive(idleTimeoutSeconds: number): number {
  return Math.ceil(serverTimeoutsBehind(idleTimeoutSeconds).keepAliveTimeoutMs / 1000) + 1;
}

/** Malformed ids, URL-safe so they reach parcel-api: bad check digit, too short, lower case, not S10. */
const MALFORMED = ['RR123456784GB', 'RR12345678GB', 'rr123456785gb', 'NOT-A-PARCEL', 'RR1234567850GB'];

/**
 * One cycle of ids in the mix's proportions, interleaved so every stretch of the run has the same mix.
 * Unknown ids are fresh S10 serials (not among the samples), so each one fans out.
 */
export function mixedParcelIds(mix: SoakMix, length = 1000): string[] {
  const known = SAMPLE_PARCELS.filter((p) => p.warehouse || p.vendor).map((p) => p.id);
  const sampleIds = new Set(SAMPLE_PARCELS.map((p) => p.id));
  const ids: string[] = [];
  let serial = 70_000_000;
  const credit = { known: 0, unknown: 0, malformed: 0 };
  for (let i = 0; i < length; i++) {
    for (const kind of ['known', 'unknown', 'malformed'] as const) credit[kind] += mix[kind];
    const kind = (['known', 'unknown', 'malformed'] as const).reduce((a, b) =>
      credit[b] > credit[a] ? b : a,
    );
    credit[kind] -= 1;
    if (kind === 'known') ids.push(known[i % known.length] as string);
    else if (kind === 'malformed') ids.push(MALFORMED[i % MALFORMED.length] as string);
    else {
      let id: string;
      do id = makeParcelId('RS', String(serial++), 'GB');
      while (sampleIds.has(id));
      ids.push(id);
    }
  }
  return ids;
}

/** The rule the edge decides the soak's requests by (every one is GET /parcels/{id} at the stage). */
function soakRule(): SamplingRule {
  const gateway = readGatewayConfig({});
  const rule = matchingRule(SAMPLING_RULES, {
    serviceName: `${gateway.apiId}/${gateway.stageName}`,
    serviceType: 'AWS::ApiGateway::Stage',
    host: '127.0.0.1',
    httpMethod: 'GET',
    urlPath: '/parcels/RR123456785GB',
  });
  if (!rule) throw new Error('no sampling rule matches GET /parcels/{id}');
  return rule;
}

/** Traces the rule allows for requests arriving at these epoch seconds: reservoir per second, then the rate. */
function expectedTraced(rule: SamplingRule, sentAtSeconds: readonly number[]): number {
  const perSecond = new Map<number, number>();
  for (const s of sentAtSeconds) perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  let expected = 0;
  for (const n of perSecond.values()) {
    const reservoir = Math.min(n, rule.ReservoirSize);
    expected += reservoir + (n - reservoir) * rule.FixedRate;
  }
  return expected;
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 1 : 0)}` : '–');
const byStatus = (statuses: Record<string, number>) =>
  Object.entries(statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, n]) => `${status === '0' ? 'no answer' : status}: ${n}`)
    .join(' ');

export function formatLatency(l: Pick<LatencySummary, 'p50' | 'p90' | 'p99' | 'max'>): string {
  return `p50 ${ms(l.p50)} · p90 ${ms(l.p90)} · p99 ${ms(l.p99)} · max ${ms(l.max)} ms`;
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

/** The pieces' warnings and errors, counted by piece, message and reason: what the 5xx were. */
function warnings(lines: readonly { name: string; line: string }[], top = 10): string[] {
  const counts = new Map<string, number>();
  for (const { name, line } of lines) {
    let entry: {
      level?: number | string;
      msg?: string;
      reason?: unknown;
      error?: unknown;
      cause?: unknown;
      err?: { message?: string };
    };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const level =
      typeof entry.level === 'number'
        ? entry.level
        : entry.level === 'warn'
          ? 40
          : entry.level === 'error'
            ? 50
            : 0;
    if (level < 40) continue;
    const why = JSON.stringify(entry.reason ?? entry.error ?? entry.cause ?? entry.err?.message ?? '').slice(
      0,
      160,
    );
    const key = `${name}: ${entry.msg ?? ''} ${why}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, n]) => `  ${n} × ${key}`);
}

export async function runSoak(stack: TestStack, opts: SoakOptions): Promise<SoakReport> {
  const say = opts.log;
  const parcelIds = mixedParcelIds(opts.mix);
  const rule = soakRule();
  const clientTimeoutMs = readGatewayConfig({}).integrationTimeoutMs + 1_000;
  const bursts = Math.max(1, Math.ceil(opts.seconds / opts.burstSeconds));
  const memory: SoakReport['memory'] = [];
  const checkpoints: MemorySample[] = [];
  const remember = (label: string) => {
    const sample = sampleMemory(stack);
    memory.push({ label, sample });
    say(`memory (RSS, MB) ${label}: ${formatMemory(sample)} · load average ${loadAverage()}`);
    return sample;
  };

  const all: RequestResult[] = [];
  const sentAt: number[] = [];
  let window: number[] = [];
  const statuses: Record<string, number> = {};
  // The cache starts cold: one look-up per known parcel first, so the first burst is not a herd of
  // fan-outs for the same few ids (the soak measures the steady state, not the cold start). Unsampled by
  // the caller, so the edge's rules decide only the soak's own requests.
  for (const id of new Set(parcelIds.filter((id) => findSampleParcel(id)))) {
    const headers = { 'x-amzn-trace-id': `Root=${newTraceId()};Sampled=0` };
    await (await fetch(`${stack.endpoints.gateway}/parcels/${id}`, { headers })).arrayBuffer();
  }
  const began = Date.now();
  remember('at start');
  const progress = setInterval(() => {
    const sorted = window.sort((a, b) => a - b);
    window = [];
    const last = sorted.length
      ? formatLatency({
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
          max: sorted[sorted.length - 1] as number,
        })
      : 'idle';
    say(
      `${all.length} requests · ${byStatus(statuses) || 'none yet'} · last ${opts.progressEverySeconds} s: ${last}`,
    );
  }, opts.progressEverySeconds * 1000);
  const minutely = setInterval(() => remember(`at ${Math.round((Date.now() - began) / 60_000)} min`), 60_000);

  let skipped = 0;
  try {
    for (let burst = 1; burst <= bursts; burst++) {
      if (burst > 1) {
        say(`idle ${opts.gapSeconds} s (longer than the services' keep-alive)`);
        await new Promise((r) => setTimeout(r, opts.gapSeconds * 1000));
        if (burst > opts.warmupBursts) checkpoints.push(sampleMemory(stack));
      }
      const seconds = Math.min(opts.burstSeconds, opts.seconds - (burst - 1) * opts.burstSeconds);
      say(`burst ${burst}/${bursts}: ${opts.rate} req/s for ${seconds} s`);
      const offset = all.length;
      const load = await runLoad({
        baseUrl: stack.endpoints.gateway,
        rate: opts.rate,
        seconds,
        // Each burst goes on through the mix where the last one stopped.
        parcelIds: [
          ...parcelIds.slice(offset % parcelIds.length),
          ...parcelIds.slice(0, offset % parcelIds.length),
        ],
        forceSampled: false,
        // The front door answers by its integration timeout: a client waiting longer hears every failure
        // as a status from the hop that failed, never as silence.
        timeoutMs: clientTimeoutMs,
        onResult: (r) => {
          all.push(r);
          sentAt.push(Math.floor((Date.now() - r.ms) / 1000));
          window.push(r.ms);
          statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
        },
      });
      skipped += load.skipped;
    }
  } finally {
    clearInterval(progress);
    clearInterval(minutely);
  }

  say('load done; waiting for the daemon to drain');
  const counters = await drained(stack.endpoints);
  checkpoints.push(remember('at end'));
  const latency = summarize(all);
  const traced = all.filter((r) => r.sampled).length;
  const sampling = {
    requests: all.length,
    traced,
    expected: expectedTraced(rule, sentAt),
    rule: rule.RuleName,
  };
  const growing = growingPieces(checkpoints);

  const problems: string[] = [];
  const faults = all.filter((r) => r.status >= 500 || r.status === 0).length;
  if (faults > 0)
    problems.push(`${faults} requests answered 5xx or not at all (${byStatus(latency.statuses)})`);
  if (skipped > 0)
    problems.push(`${skipped} requests not sent: the stack fell behind (in-flight cap reached)`);
  // A request the client gave up on may still have been sampled at the edge: compare only when all answered.
  problems.push(...counterProblems(counters, all.some((r) => r.status === 0) ? undefined : traced));
  for (const name of growing) {
    const series = checkpoints.map((c) => c[name]).join(' → ');
    problems.push(`${name}: memory keeps growing after warm-up (${series} MB)`);
  }

  say(`requests: ${latency.count} · ${byStatus(latency.statuses)} · ${formatLatency(latency)}`);
  for (const line of warnings(stack.lines)) say(line);
  say(
    `traced at the edge: ${traced} of ${all.length} (${((100 * traced) / Math.max(1, all.length)).toFixed(2)} %); ` +
      `rule "${rule.RuleName}" (${rule.ReservoirSize}/s + ${rule.FixedRate * 100} %) allows ≈ ${sampling.expected.toFixed(0)} ` +
      `(${((100 * sampling.expected) / Math.max(1, all.length)).toFixed(2)} %)`,
  );
  for (const line of formatCounters(counters).split('\n')) say(line);
  return { latency, memory, growing, counters, sampling, problems };
}
