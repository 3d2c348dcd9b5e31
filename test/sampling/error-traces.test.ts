import { afterAll, beforeAll } from 'vitest';
import { KEEP_ON_ERROR_ENV, keptPathSuite } from '../support/kept-path-suite';
import { startTestStack, type TestStack } from '../support/stack';

// The default backend's run of the keep-on-error cases (each other backend runs them in test/tracing-backends).
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack(KEEP_ON_ERROR_ENV);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

keptPathSuite(() => stack);
