// What the shared-stack host (globalSetup, Vitest's main process) and its clients (test files, in
// workers) agree on. No Vitest runtime here: the host must not import it.
import type { StackEndpoints } from '@parcel/local-stack';

/** The key under which the e2e project's globalSetup provides its control API's address. */
export const SHARED_STACK_CONTROL = 'sharedStackControl';

declare module 'vitest' {
  export interface ProvidedContext {
    [SHARED_STACK_CONTROL]: string;
  }
}

export interface SharedStackInfo {
  key: string;
  endpoints: StackEndpoints;
  stateDir: string;
}

/** Stacks are shared by environment: files asking for the same variables get the same stack. */
export function sharedStackKey(env: Record<string, string>): string {
  return JSON.stringify(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
}
