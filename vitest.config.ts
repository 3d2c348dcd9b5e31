import { defineConfig } from 'vitest/config';
import { nodeSupportNotice, SDK_NODE_WARNING_OFF } from './apps/local-stack/src/node-support.js';

// As under `npm start`: the AWS SDK's Node-version warning is said once, here, and switched off in the
// test workers and the stacks they start (they inherit this environment), which would each print it.
// Under tools/run-tests.ts the runner has said it already, and switched it off for every lane.
const notice = nodeSupportNotice();
if (notice && !process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED) {
  console.warn(notice);
  Object.assign(process.env, SDK_NODE_WARNING_OFF);
}

/**
 * The end-to-end files over the shared stack in the default environment (`useSharedStack()`): one
 * project, so one process hosts that stack for all of them.
 */
const DEFAULT_STACK_FILES = [
  'test/console.test.ts',
  'test/local-cloud.test.ts',
  'test/logs.test.ts',
  'test/otlp.test.ts',
  'test/faults/tracing-faults.test.ts',
  'test/hostile/hostile-input.test.ts',
  'test/sampling/live-tuning.test.ts',
];
/**
 * The load files: each drives traffic through a stack of its own for a minute and judges what it
 * measured; never two at once (`npm test` runs the incident replay alone).
 */
const LOAD_FILES = ['test/soak.test.ts', 'test/incident.test.ts'];

/** What every end-to-end project shares: files one at a time, each owning the ports and stacks it starts. */
const endToEnd = {
  testTimeout: 60_000,
  hookTimeout: 180_000,
  fileParallelism: false,
  // A browser page or a metric behind a busy machine can take seconds: polls wait, then fail.
  expect: { poll: { timeout: 15_000 } },
  // Hosts the stacks that files in the same environment share: useSharedStack().
  globalSetup: ['./test/support/stack-host.ts'],
};

// Unit tests sit next to the code they test; end-to-end tests live under test/ and run over the local
// stack, in three projects: the default stack's files, the files with stacks or pieces of their own (and
// the keep-on-error stack they share), and the load files. Run as a whole (`npx vitest run`) the projects
// go one after another (sequence.groupOrder); `npm test` runs them side by side (tools/run-tests.ts).
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
          // Vitest's default on two cores is one worker; the unit files wait on sockets and timers too.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: { ...endToEnd, name: 'e2e', include: DEFAULT_STACK_FILES, sequence: { groupOrder: 1 } },
      },
      {
        test: {
          ...endToEnd,
          name: 'e2e-own',
          include: ['test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...DEFAULT_STACK_FILES, ...LOAD_FILES],
          sequence: { groupOrder: 2 },
        },
      },
      {
        test: {
          ...endToEnd,
          name: 'load',
          include: LOAD_FILES,
          testTimeout: 300_000,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
