import { defineConfig } from 'vitest/config';
import { nodeSupportNotice, SDK_NODE_WARNING_OFF } from './apps/local-stack/src/node-support.js';

// As under `npm start`: the AWS SDK's Node-version warning is said once, here, and switched off in the
// test workers and the stacks they start (they inherit this environment), which would each print it.
const notice = nodeSupportNotice();
if (notice) {
  console.warn(notice);
  Object.assign(process.env, SDK_NODE_WARNING_OFF);
}

// One runner, two projects: unit tests sit next to the code they test; end-to-end tests live under
// test/ and run over the local stack. Unit runs first, end-to-end after it (sequence.groupOrder): on two
// cores, running both at once only makes each slower and the timing-sensitive end-to-end checks noisier.
export default defineConfig({
  test: {
    reporters: ['default', './test/support/durations-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'apps/*/src/**/*.test.ts',
            'libs/*/src/**/*.test.ts',
            'apps/*/tests/**/*.test.ts',
            'libs/*/tests/**/*.test.ts',
            'infra/**/*.test.ts',
            'tools/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', 'infra/cdk.out/**'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          // The end-to-end suites share one machine's ports and CPU: run their files one at a time.
          fileParallelism: false,
          // Hosts the stacks that files in the default (or the same) environment share: useSharedStack().
          globalSetup: ['./test/support/stack-host.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
