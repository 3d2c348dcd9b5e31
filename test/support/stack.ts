import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLocalStackConfig } from '@parcel/config';
import { findFreePort, type RunningStack, type StackEndpoints, startStack } from '@parcel/local-stack';

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
 * Starts the whole local stack on free ports with its own state folder, exactly as `npm start` runs it
 * (same launcher, same processes), so end-to-end tests never collide with a developer's running stack.
 */
export async function startTestStack(env: NodeJS.ProcessEnv = {}): Promise<TestStack> {
  const stateDir = mkdtempSync(join(tmpdir(), 'parcel-stack-'));
  // Run as root, embedded PostgreSQL runs as its own user, which must reach its data folder in here.
  chmodSync(stateDir, 0o755);
  const port = () => findFreePort();
  const [gw, api, wq, sfn, ddb, xray, daemon, otlp, vendor, pg] = await Promise.all(
    Array.from({ length: 10 }, port),
  );
  const config = readLocalStackConfig({
    API_GATEWAY_URL: `http://127.0.0.1:${gw}`,
    PARCEL_API_URL: `http://127.0.0.1:${api}`,
    WAREHOUSE_QUERY_URL: `http://127.0.0.1:${wq}`,
    SFN_ENDPOINT: `http://127.0.0.1:${sfn}`,
    DYNAMODB_ENDPOINT: `http://127.0.0.1:${ddb}`,
    XRAY_ENDPOINT: `http://127.0.0.1:${xray}`,
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon}`,
    OTLP_RECEIVER_ADDRESS: `127.0.0.1:${otlp}`,
    VENDOR_BASE_URL: `https://vendor.localhost:${vendor}`,
    POSTGRES_PORT: String(pg),
    DATABASE_URL: process.env.DATABASE_URL,
    LOCAL_STATE_DIR: stateDir,
  });
  const lines: { name: string; line: string }[] = [];
  const stack = await startStack(config, {
    env: { LOG_LEVEL: 'info', ...env },
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
