/**
 * Daemon throughput: the highest rate of ~1 KB segments it forwards with zero loss on one core, and at
 * twice that rate whether every datagram is accounted for.
 *
 *   node --import tsx bench/daemon/throughput.ts      (prints progress, then one JSON line: the result)
 *
 * Three processes on loopback: the daemon (`startXrayDaemon`, lean HTTP uploader) pinned to core 0; a sink
 * speaking PutTraceSegments that accepts instantly and this sender, both on core 1. Loss = sent − forwarded
 * (end to end). Of that, sent − received never reached the daemon (kernel drops: the socket's receive
 * buffer overflowed); received − forwarded the daemon dropped itself and counted.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { canPin, pinSelf, startChild } from './children';
import { segmentDatagrams } from './segments';

export interface DaemonStep {
  targetRate: number;
  /** What the sender managed (it may fall short of the target on a loaded machine). */
  sentRate: number;
  sent: number;
  received: number;
  forwarded: number;
  dropped: number;
  invalid: number;
  /** sent − received: lost in the kernel before the daemon read them. */
  kernelDrops: number;
  /** Machine-wide UDP RcvbufErrors delta from /proc/net/snmp (other traffic included), as a cross-check. */
  rcvbufErrors: number | null;
  sinkDocuments: number;
  /** The daemon process's CPU time (user + system) per datagram it received in the step, in microseconds. */
  daemonCpuMicrosPerSegment: number | null;
  /**
   * The daemon's CPU time over the step's wall time: how much of its core it got. Well under 1 while
   * it lost datagrams means the core was taken by other processes, not that the daemon was too slow.
   */
  daemonCpuShare: number | null;
  lossless: boolean;
}

export interface DaemonResult {
  pinned: boolean;
  datagramBytes: number;
  stepSeconds: number;
  upload: string;
  daemonConfig: Record<string, unknown>;
  steps: DaemonStep[];
  /** Highest rate (segments/s actually sent) forwarded with zero loss. */
  zeroLossRate: number;
  overload: (DaemonStep & { accountedExactly: boolean; sinkMatchesForwarded: boolean }) | null;
}

interface Stats {
  received: number;
  forwarded: number;
  dropped: number;
  invalid: number;
  buffered: number;
  inFlight: number;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; null where there is no /proc. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // After the command: state is field 3, utime 14 and stime 15 (1-based), so indexes 11 and 12 here.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = 100;

function rcvbufErrors(): number | null {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n');
    const [names, values] = lines.filter((l) => l.startsWith('Udp:'));
    if (!names || !values) return null;
    const i = names.split(/\s+/).indexOf('RcvbufErrors');
    return i < 0 ? null : Number(values.split(/\s+/)[i]);
  } catch {
    return null;
  }
}

export async function run(
  opts: { stepSeconds?: number; maxRate?: number; fixedRates?: number[] } = {},
): Promise<DaemonResult> {
  const stepSeconds = opts.stepSeconds ?? 3;
  const maxRate = opts.maxRate ?? 160_000;
  const pinned = canPin(availableParallelism());
  if (pinned) pinSelf(1);
  const sink = await startChild<{ url: string }>(here('./sink.ts'), pinned ? { core: 1 } : {});
  const daemon = await startChild<{ address: string; url: string; config: Record<string, unknown> }>(
    here('./daemon-process.ts'),
    {
      ...(pinned ? { core: 0 } : {}),
      env: { XRAY_ENDPOINT: sink.info.url, LOG_LEVEL: 'silent' },
      // e.g. BENCH_DAEMON_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to see where the daemon's time goes
      nodeArgs: (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean),
    },
  );
  const [host, port] = daemon.info.address.split(':') as [string, string];
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.connect(Number(port), host, resolve));
  const pool = segmentDatagrams(4096);
  const daemonStats = () => getJson<Stats>(`${daemon.info.url}/__daemon/stats`);
  const sinkStats = () => getJson<{ documents: number }>(`${sink.info.url}/__sink/stats`);

  /** Sends `rate`/s for `seconds`, paced against the clock in small bursts. */
  const sendAt = async (rate: number, seconds: number) => {
    const total = Math.round(rate * seconds);
    let sent = 0;
    const t0 = performance.now();
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      while (sent < due) socket.send(pool[sent++ % pool.length] as Buffer);
      // Sleep between bursts (about 1 ms apart) rather than spin: the sink shares this core.
      await sleep(1);
    }
    return { sent, seconds: (performance.now() - t0) / 1000 };
  };

  /** Waits until the daemon has read everything it will read and has nothing buffered or in flight. */
  const settle = async (): Promise<Stats> => {
    let last = await daemonStats();
    for (let i = 0; i < 100; i++) {
      await sleep(200);
      const now = await daemonStats();
      if (now.received === last.received && now.buffered === 0 && now.inFlight === 0) return now;
      last = now;
    }
    return last;
  };

  const step = async (rate: number, seconds = stepSeconds): Promise<DaemonStep> => {
    const before = await settle();
    const sinkBefore = await sinkStats();
    const errorsBefore = rcvbufErrors();
    const cpuBefore = cpuSeconds(daemon.process.pid);
    const wallStart = performance.now();
    const { sent, seconds: took } = await sendAt(rate, seconds);
    const after = await settle();
    const cpuAfter = cpuSeconds(daemon.process.pid);
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const sinkAfter = await sinkStats();
    const errorsAfter = rcvbufErrors();
    const d = (k: keyof Stats) => after[k] - before[k];
    const result: DaemonStep = {
      targetRate: rate,
      sentRate: Math.round(sent / took),
      sent,
      received: d('received'),
      forwarded: d('forwarded'),
      dropped: d('dropped'),
      invalid: d('invalid'),
      kernelDrops: sent - d('received'),
      rcvbufErrors: errorsBefore === null || errorsAfter === null ? null : errorsAfter - errorsBefore,
      sinkDocuments: sinkAfter.documents - sinkBefore.documents,
      daemonCpuMicrosPerSegment:
        cpuBefore === null || cpuAfter === null
          ? null
          : Math.round(((cpuAfter - cpuBefore) * 1e7) / Math.max(1, d('received'))) / 10,
      daemonCpuShare:
        cpuBefore === null || cpuAfter === null
          ? null
          : Math.round(((cpuAfter - cpuBefore) / wallSeconds) * 100) / 100,
      lossless: d('forwarded') === sent,
    };
    console.error(
      `daemon: ${String(rate).padStart(7)}/s target, ${String(result.sentRate).padStart(7)}/s sent → ` +
        `forwarded ${result.forwarded}/${sent}, kernel drops ${result.kernelDrops}, daemon drops ${result.dropped}, ` +
        `daemon CPU ${result.daemonCpuMicrosPerSegment} µs/segment, ${result.daemonCpuShare} of a core`,
    );
    return result;
  };

  const steps: DaemonStep[] = [];
  let best: DaemonStep | undefined;
  try {
    await step(5_000, 1); // warm-up: JIT, keep-alive connections
    if (opts.fixedRates) {
      // Profiling mode: just these steps, no search.
      for (const rate of opts.fixedRates) steps.push(await step(rate));
      return {
        pinned,
        datagramBytes: 0,
        stepSeconds,
        upload: '',
        daemonConfig: {},
        steps,
        zeroLossRate: 0,
        overload: null,
      };
    }
    let failed: number | undefined;
    for (let rate = 10_000; rate <= maxRate; rate += rate < 40_000 ? 10_000 : 10_000) {
      let s = await step(rate);
      // One retry: a neighbour's burst on a shared machine can cost a step its zero.
      if (!s.lossless) s = await step(rate);
      steps.push(s);
      if (!s.lossless) {
        failed = rate;
        break;
      }
      best = s;
    }
    // Narrow the gap between the last clean step and the first lossy one.
    if (failed !== undefined) {
      let lo = best?.targetRate ?? 0;
      let hi = failed;
      for (let i = 0; i < 2 && hi - lo > 2_500; i++) {
        const mid = Math.round((lo + hi) / 2 / 500) * 500;
        const s = await step(mid);
        steps.push(s);
        if (s.lossless) {
          lo = mid;
          if (!best || s.sentRate > best.sentRate) best = s;
        } else hi = mid;
      }
    }
    const zeroLossRate = best?.sentRate ?? 0;
    let overload: DaemonResult['overload'] = null;
    if (zeroLossRate > 0) {
      const s = await step(zeroLossRate * 2);
      overload = {
        ...s,
        accountedExactly: s.received === s.forwarded + s.dropped + s.invalid,
        sinkMatchesForwarded: s.sinkDocuments === s.forwarded,
      };
    }
    return {
      pinned,
      datagramBytes: pool[0]?.length ?? 0,
      stepSeconds,
      upload: 'minimal PutTraceSegments sink (bench/daemon/sink.ts), XRAY_UPLOAD_CLIENT=http',
      daemonConfig: daemon.info.config,
      steps,
      zeroLossRate,
      overload,
    };
  } finally {
    socket.close();
    await daemon.stop();
    await sink.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await run({
    ...(process.env.BENCH_STEP_SECONDS ? { stepSeconds: Number(process.env.BENCH_STEP_SECONDS) } : {}),
    ...(process.env.BENCH_DAEMON_RATES
      ? { fixedRates: process.env.BENCH_DAEMON_RATES.split(',').map(Number) }
      : {}),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
