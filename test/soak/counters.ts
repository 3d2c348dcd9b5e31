import type { StackEndpoints } from '@parcel/local-stack';
import type { KeepStatsSnapshot } from '@parcel/sampling-rules';
import type { DaemonStats } from '@parcel/xray-daemon';
import type { DaemonClient } from '@parcel/xray-protocol';

/** What a piece's daemon client says it sent and dropped (its stats endpoint's `segments`). */
type DaemonClientStats = ReturnType<DaemonClient['stats']>;

/** What the gateway, the Step Functions stand-in, the daemon and the X-Ray service say they did. */
export interface StackCounters {
  gateway: KeepStatsSnapshot & { segments: DaemonClientStats };
  stepFunctions: KeepStatsSnapshot & { segments: DaemonClientStats };
  daemon: DaemonStats;
  xray: { segments: { received: number; stored: number; unprocessed: number } };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function readCounters(endpoints: StackEndpoints): Promise<StackCounters> {
  const [gateway, stepFunctions, daemon, xray] = await Promise.all([
    getJson<StackCounters['gateway']>(`${endpoints.gateway}/__gateway/stats`),
    getJson<StackCounters['stepFunctions']>(`${endpoints.stepFunctions}/__stepfunctions/stats`),
    getJson<StackCounters['daemon']>(`http://${endpoints.daemon}/__daemon/stats`),
    getJson<StackCounters['xray']>(`${endpoints.xray}/__xray/stats`),
  ]);
  return { gateway, stepFunctions, daemon, xray };
}

const recorded = (s: KeepStatsSnapshot) =>
  s.sampled.total + s.kept.error + s.kept.latency + s.kept.downstream;

export function formatCounters(c: StackCounters): string {
  const g = c.gateway;
  const d = c.daemon;
  const x = c.xray.segments;
  return [
    `gateway: ${g.requests} requests = ${g.sampled.total} sampled + ${g.kept.error + g.kept.latency + g.kept.downstream} kept + ${g.discarded} discarded; segments ${g.segments.sent} sent, ${g.segments.dropped} dropped`,
    `step-functions: ${c.stepFunctions.requests} executions recorded/discarded; segments ${c.stepFunctions.segments.sent} sent, ${c.stepFunctions.segments.dropped} dropped`,
    `daemon: ${d.received} received = ${d.forwarded} forwarded + ${d.dropped} dropped + ${d.invalid} invalid (+ ${d.buffered} buffered, ${d.inFlight} in flight)`,
    `xray-service: ${x.received} received = ${x.stored} stored + ${x.unprocessed} unprocessed`,
  ].join('\n');
}

/**
 * Counters that do not add up, once the pipeline has drained. `edgeSampled` is how many of the soak's
 * requests the edge answered with `Sampled=1` (the soak is the only client deciding at the edge), when
 * every request was answered.
 */
export function counterProblems(c: StackCounters, edgeSampled: number | undefined): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  for (const [name, s] of [
    ['gateway', c.gateway],
    ['step-functions', c.stepFunctions],
  ] as const) {
    check(
      s.requests === recorded(s) + s.discarded,
      `${name}: ${s.requests} requests ≠ ${s.sampled.total} sampled + kept ${JSON.stringify(s.kept)} + ${s.discarded} discarded`,
    );
  }
  const g = c.gateway;
  // One stage segment per recorded request, more datagrams only when one had to be split.
  const datagrams = g.segments.sent + g.segments.dropped;
  check(
    g.segments.split > 0 ? datagrams >= recorded(g) : datagrams === recorded(g),
    `gateway: ${datagrams} segment datagrams sent or dropped for ${recorded(g)} recorded requests`,
  );
  const decidedAtEdge = Object.entries(g.sampled.byRule)
    .filter(([rule]) => rule !== 'upstream')
    .reduce((n, [, count]) => n + count, 0);
  check(
    edgeSampled === undefined || decidedAtEdge === edgeSampled,
    `gateway: ${decidedAtEdge} requests sampled by its rules, but clients saw ${edgeSampled} answers with Sampled=1`,
  );
  const d = c.daemon;
  check(
    d.buffered === 0 && d.inFlight === 0,
    `daemon: not drained (${d.buffered} buffered, ${d.inFlight} in flight)`,
  );
  check(
    d.received === d.forwarded + d.dropped + d.invalid,
    `daemon: ${d.received} received ≠ ${d.forwarded} forwarded + ${d.dropped} dropped + ${d.invalid} invalid`,
  );
  const x = c.xray.segments;
  check(
    x.received === x.stored + x.unprocessed,
    `xray-service: ${x.received} received ≠ ${x.stored} stored + ${x.unprocessed} unprocessed`,
  );
  // The daemon is the only writer: what it forwarded is what the service stored, what was refused is counted.
  check(x.stored === d.forwarded, `xray-service stored ${x.stored} ≠ daemon forwarded ${d.forwarded}`);
  check(
    x.unprocessed === d.droppedByReason.rejected_by_service,
    `xray-service refused ${x.unprocessed} ≠ daemon's rejected_by_service ${d.droppedByReason.rejected_by_service}`,
  );
  return problems;
}

/** Waits until the daemon holds nothing and its counters stop moving (segments still on their way in). */
export async function drained(endpoints: StackEndpoints, timeoutMs = 20_000): Promise<StackCounters> {
  const deadline = Date.now() + timeoutMs;
  let last = await readCounters(endpoints);
  for (;;) {
    await new Promise((r) => setTimeout(r, 1_500));
    const now = await readCounters(endpoints);
    const still =
      now.daemon.received === last.daemon.received &&
      now.daemon.buffered === 0 &&
      now.daemon.inFlight === 0 &&
      now.xray.segments.received === last.xray.segments.received;
    if (still || Date.now() > deadline) return now;
    last = now;
  }
}
