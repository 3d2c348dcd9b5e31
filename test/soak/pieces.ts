import { readFileSync } from 'node:fs';
import type { RunningStack } from '@parcel/local-stack';

/** Resident memory of each piece, in MB: its process and the processes it started (PostgreSQL's server). */
export type MemorySample = Record<string, number>;

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
}

function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function treeRssMb(pid: number): number {
  let kb = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      kb += rssKb(p);
    } catch {
      // Exited between listing and reading: it holds no memory any more.
    }
  }
  return Math.round(kb / 1024);
}

/** The current process of every piece (a restarted piece appears once, as its latest process). */
export function sampleMemory(stack: Pick<RunningStack, 'children'>): MemorySample {
  const latest = new Map<string, number>();
  for (const child of stack.children) if (child.running && child.pid) latest.set(child.name, child.pid);
  return Object.fromEntries([...latest].map(([name, pid]) => [name, treeRssMb(pid)]));
}

export function formatMemory(sample: MemorySample): string {
  return Object.entries(sample)
    .map(([name, mb]) => `${name} ${mb}`)
    .join(' · ');
}

/**
 * Pieces whose memory keeps growing after warm-up: higher at every checkpoint than at the one before, by
 * more than `minGrowth` (a fraction) and more than `minGrowthMb` from first to last, and not levelling off
 * (the last step at least half the average step). V8 settles its heaps in shrinking steps, 100 → 121 →
 * 140 → 143 MB; a leak climbs by about the same amount at every step. The floor in MB is for short runs:
 * RSS follows the peak of requests in flight (a burst that a busy machine slowed holds more at once, and
 * freed pages stay mapped), 98 → 102 → 105 → 124 MB over one minute in CI at a load average of 11.
 */
export function growingPieces(
  checkpoints: readonly MemorySample[],
  minGrowth = 0.25,
  minGrowthMb = 32,
): string[] {
  const first = checkpoints[0];
  if (!first || checkpoints.length < 3) return [];
  return Object.keys(first).filter((name) => {
    const series = checkpoints.map((c) => c[name] ?? 0);
    const steps = series.slice(1).map((mb, i) => mb - (series[i] as number));
    const total = (series.at(-1) as number) - (series[0] as number);
    const meanStep = total / steps.length;
    return (
      steps.every((step) => step > 0) &&
      total > (series[0] as number) * minGrowth &&
      total > minGrowthMb &&
      (steps.at(-1) as number) >= meanStep / 2
    );
  });
}
