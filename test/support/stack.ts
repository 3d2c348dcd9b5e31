import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLocalStackConfig } from '@parcel/config';
import { ensureLocalCertificates } from '@parcel/local-resources';
import { freeStackAddresses, type RunningStack, type StackEndpoints, startStack } from '@parcel/local-stack';

/** What helpers that only talk to a stack need of it: a stack of a file's own or a shared one. */
export interface StackAddresses {
  readonly endpoints: StackEndpoints;
}

export interface TestStack extends RunningStack {
  /** Every output line of every piece, for assertions on logs. */
  lines: { name: string; line: string }[];
  stateDir: string;
}

/**
 * The local CA and the vendor's certificate for test stacks, made once per machine and user (as the
 * PostgreSQL template is) and copied into each stack's state folder, where the launcher finds them valid
 * and keeps them: generating RSA keys costs a stack's start up to a second of CPU, and certificates are
 * the stack's input here, not what these tests check (certificates.test.ts makes its own). The launcher
 * still checks them, and re-issues a leaf close to expiry, as it does under `npm start`.
 */
async function seedCertificates(stateDir: string): Promise<void> {
  const shared = join(tmpdir(), `parcel-test-certs-uid${process.getuid?.() ?? 'x'}`);
  await ensureLocalCertificates(shared);
  // The PEM files only: not another process's lock on the folder.
  cpSync(shared, join(stateDir, 'certs'), { recursive: true, filter: (from) => !from.endsWith('.lock') });
}

/**
 * Starts the whole local stack on free ports with its own state folder, exactly as `npm start` runs it
 * (same launcher, same processes), so end-to-end tests never collide with a developer's running stack.
 */
export async function startTestStack(env: NodeJS.ProcessEnv = {}): Promise<TestStack> {
  const stateDir = mkdtempSync(join(tmpdir(), 'parcel-stack-'));
  // Run as root, embedded PostgreSQL runs as its own user, which must reach its data folder in here.
  chmodSync(stateDir, 0o755);
  await seedCertificates(stateDir);
  const config = readLocalStackConfig({
    ...(await freeStackAddresses()),
    DATABASE_URL: process.env.DATABASE_URL,
    LOCAL_STATE_DIR: stateDir,
  });
  const lines: { name: string; line: string }[] = [];
  const stack = await startStack(config, {
    // Segments and spans leave the daemon and the OTel exporter within 100 ms (1 s by default): a test
    // reading a trace back waits for the trace, not for a batch timer.
    env: { LOG_LEVEL: 'info', XRAY_FLUSH_INTERVAL_MS: '100', OTEL_BSP_SCHEDULE_DELAY: '100', ...env },
    onLine: (name, line) => {
      lines.push({ name, line });
      if (process.env.STACK_LOG === 'verbose') console.log(`${name.padEnd(16)}│ ${line}`);
    },
  });
  return {
    ...stack,
    lines,
    stateDir,
    stop: async () => {
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
