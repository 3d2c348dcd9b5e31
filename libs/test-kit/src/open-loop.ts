const LOOPBACK = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\])$/i;

/** Load generators send to this machine only: throws unless `url` is a loopback address. */
export function assertLoopback(url: URL, sender: string): void {
  if (!LOOPBACK.test(url.hostname))
    throw new Error(`${sender} sends load to loopback only, not ${url.hostname}`);
}

/**
 * Starts `total` requests at `rate` a second on schedule, whether or not earlier ones have answered (open
 * loop: a stalled server shows in the latencies, measured from `dueAt`, instead of slowing the sender down,
 * so there is no coordinated omission). A request due while `maxInFlight` are open is skipped, not queued.
 * `send(i, dueAt)` makes request `i`, due at `dueAt` (`performance.now()` time); resolves once all answered.
 */
export async function runOpenLoop(
  opts: { rate: number; total: number; maxInFlight: number },
  send: (i: number, dueAt: number) => Promise<void>,
): Promise<{ skipped: number }> {
  const interval = 1000 / opts.rate;
  const pending = new Set<Promise<void>>();
  let skipped = 0;
  const start = performance.now();
  for (let i = 0; i < opts.total; i++) {
    const dueAt = start + i * interval;
    // Timers count whole milliseconds from the event loop's cached clock, so one can fire a little before
    // `dueAt` by performance.now(): wait again until it is due.
    for (let wait = dueAt - performance.now(); wait > 0; wait = dueAt - performance.now()) {
      await new Promise((r) => setTimeout(r, Math.ceil(wait)));
    }
    if (pending.size >= opts.maxInFlight) {
      skipped++;
      continue;
    }
    const request: Promise<void> = send(i, dueAt).finally(() => pending.delete(request));
    pending.add(request);
  }
  await Promise.all(pending);
  return { skipped };
}
