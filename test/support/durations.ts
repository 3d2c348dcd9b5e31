/** One test file's run, as the durations reporter records it. */
export interface FileDuration {
  project: string;
  /** The Node major version the file ran on. */
  node: string;
  file: string;
  ms: number;
  failed: boolean;
}

/**
 * Set by tools/run-tests.ts: each Vitest run writes its rows there instead of printing them, and the
 * runner prints one table for every run.
 */
export const DURATIONS_DIR_VARIABLE = 'TEST_DURATIONS_DIR';

/** `12.3 s` */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Per project and runtime, slowest first, with the total: where the minutes go. */
export function formatDurations(rows: readonly FileDuration[]): string {
  const lines = [
    '',
    'Duration per test file (tests and hooks; a shared stack’s start in the first file using it):',
  ];
  const groups = [...new Set(rows.map((r) => `${r.project} on Node ${r.node}`))].sort();
  for (const group of groups) {
    const mine = rows.filter((r) => `${r.project} on Node ${r.node}` === group).sort((a, b) => b.ms - a.ms);
    const total = mine.reduce((sum, r) => sum + r.ms, 0);
    lines.push(`  ${group}: ${mine.length} files, ${seconds(total)} in all`);
    for (const r of mine) lines.push(`    ${seconds(r.ms).padStart(8)}  ${r.file}${r.failed ? '  ✗' : ''}`);
  }
  return lines.join('\n');
}
