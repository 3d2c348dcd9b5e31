import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Prints, after the run, how long each test file took (its tests and hooks, a shared stack's start
 * included in the first file that used it), slowest first per project: where CI's minutes go.
 */
export default class FileDurationsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    if (testModules.length === 0) return;
    const rows = testModules.map((m) => ({
      project: m.project.name,
      file: relative(process.cwd(), m.moduleId),
      ms: m.diagnostic().duration,
      state: m.state(),
    }));
    const lines = ['', 'Duration per test file (tests and hooks):'];
    for (const project of [...new Set(rows.map((r) => r.project))].sort()) {
      const mine = rows.filter((r) => r.project === project).sort((a, b) => b.ms - a.ms);
      const total = mine.reduce((sum, r) => sum + r.ms, 0);
      lines.push(`  ${project}: ${mine.length} files, ${seconds(total)} in all`);
      for (const r of mine) {
        const mark = r.state === 'failed' ? '  ✗' : '';
        lines.push(`    ${seconds(r.ms).padStart(8)}  ${r.file}${mark}`);
      }
    }
    console.log(lines.join('\n'));
  }
}
