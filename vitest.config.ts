import { defineConfig } from 'vitest/config';

// One runner, two projects: unit tests sit next to the code they test; end-to-end tests live under
// test/ and start the local stack (or the pieces they need) themselves.
export default defineConfig({
  test: {
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
          ],
          exclude: ['**/node_modules/**', 'infra/cdk.out/**'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
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
        },
      },
    ],
  },
});
