import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackEndpoints } from '@parcel/local-stack';
import { afterAll, beforeAll, inject } from 'vitest';
import { SHARED_STACK_CONTROL, type SharedStackInfo } from './shared-stack-protocol';

/**
 * One local stack shared by every e2e file that asks for the same environment, started on first use by
 * the e2e project's globalSetup (stack-host.ts) and stopped when the run ends. Starting a whole stack
 * costs seconds of both cores; most files need nothing but its addresses. A file that stops or restarts a
 * piece gets it back as it was when the file ends; state a file leaves behind (traces, cached parcels,
 * sampling rules) is seen by the next, so shared-stack files put back what they change.
 *
 * Files whose assertions need a stack nobody else has touched (absolute counters, their own traffic
 * only) start their own with startTestStack().
 */
export interface SharedStack {
  readonly endpoints: StackEndpoints;
  readonly stateDir: string;
  /** The piece's current process: it changes when a piece is restarted. */
  piece(name: string): Promise<{ pid: number | undefined; running: boolean }>;
  stopPiece(name: string): Promise<void>;
  /** Restarts the piece, with `env` on top of the stack's (put back when the file ends). */
  startPiece(name: string, env?: NodeJS.ProcessEnv): Promise<void>;
  /** Every line the piece has written so far, across its restarts (its log file). */
  logLines(name: string): string[];
}

async function control<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${inject(SHARED_STACK_CONTROL)}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  const parsed = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`shared stack ${path}: ${parsed.error}`);
  return parsed;
}

/**
 * The shared stack for `env` (the default environment when empty), connected before the file's tests
 * run; its pieces are put back after them.
 */
export function useSharedStack(env: Record<string, string> = {}): SharedStack {
  let info: SharedStackInfo | undefined;
  const connected = () => {
    if (!info) throw new Error('the shared stack is reached from tests and hooks, not at import time');
    return info;
  };
  beforeAll(async () => {
    info = await control<SharedStackInfo>('/acquire', { env });
  }, 180_000);
  afterAll(async () => {
    if (info) await control('/release', { key: info.key });
  }, 120_000);
  return {
    get endpoints() {
      return connected().endpoints;
    },
    get stateDir() {
      return connected().stateDir;
    },
    piece: (name) => control('/piece', { key: connected().key, name }),
    stopPiece: (name) => control('/stopPiece', { key: connected().key, name }),
    startPiece: (name, pieceEnv = {}) =>
      control('/startPiece', { key: connected().key, name, env: pieceEnv }),
    logLines: (name) => {
      const file = join(connected().stateDir, 'logs', `${name}.log`);
      return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    },
  };
}
