import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import { DURATIONS_DIR_VARIABLE, type FileDuration, formatDurations } from './durations';

/**
 * After the run, how long each test file took (its tests and hooks), slowest first per project: where
 * CI's minutes go. Under tools/run-tests.ts the rows go to its folder, for one table across the lanes.
 */
export default class FileDurationsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    if (testModules.length === 0) return;
    const node = process.versions.node.split('.')[0] ?? '?';
    const rows: FileDuration[] = testModules.map((m) => ({
      project: m.project.name,
      node,
      file: relative(process.cwd(), m.moduleId),
      ms: m.diagnostic().duration,
      failed: m.state() === 'failed',
    }));
    const dir = process.env[DURATIONS_DIR_VARIABLE];
    if (dir) writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(rows));
    else console.log(formatDurations(rows));
  }
}
