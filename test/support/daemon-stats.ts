import type { DaemonStats } from '@parcel/xray-daemon';
import type { StackAddresses } from './stack';

export type { DaemonStats };

/** The running daemon's counters (its `/__daemon/stats`). */
export async function daemonStats(stack: StackAddresses): Promise<DaemonStats> {
  const res = await fetch(`http://${stack.endpoints.daemon}/__daemon/stats`);
  if (res.status !== 200) throw new Error(`daemon stats answered ${res.status}`);
  return (await res.json()) as DaemonStats;
}

/**
 * Waits until the daemon holds nothing (no buffered or in-flight segments) and its counters have not
 * moved for `quietMs`, so late segments (a service closes its segment after answering) are in.
 */
export async function drainedDaemonStats(
  stack: StackAddresses,
  opts: { quietMs?: number; timeoutMs?: number } = {},
): Promise<DaemonStats> {
  const quietMs = opts.quietMs ?? 1500;
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last = await daemonStats(stack);
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await daemonStats(stack);
    const moved =
      now.received !== last.received || now.forwarded !== last.forwarded || now.dropped !== last.dropped;
    if (moved || now.buffered !== 0 || now.inFlight !== 0) stableSince = Date.now();
    last = now;
    if (Date.now() - stableSince >= quietMs) return now;
  }
  throw new Error(`daemon did not drain: ${JSON.stringify(last)}`);
}
