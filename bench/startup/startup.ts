/**
 * `npm start` to ready: the launcher (apps/local-stack, as `npm start` runs it) on free loopback ports,
 * timed from spawning the process to its "Local stack ready" line. Cold: a fresh state folder (DynamoDB
 * data, PostgreSQL data dir, certificates created). Warm: the same folder again, everything already there.
 * PostgreSQL's data dir is copied from a once-per-machine template either way (apps/local-resources), so a
 * machine that never ran the stack pays one initdb more than "cold" shows here.
 *
 *   node --import tsx bench/startup/startup.ts      (one JSON line: the result)
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freeStackAddresses } from '@parcel/local-stack';

export interface StartupRun {
  kind: 'cold' | 'warm';
  /** Spawn to the ready line, as a developer waits for it. */
  wallSeconds: number;
  /** What the launcher itself prints (from its first line of code: excludes Node and tsx start-up). */
  reportedSeconds: number | null;
}

export interface StartupResult {
  runs: StartupRun[];
}

const root = fileURLToPath(new URL('../../', import.meta.url));

async function startOnce(stateDir: string, kind: StartupRun['kind']): Promise<StartupRun> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(await freeStackAddresses()),
    LOCAL_STATE_DIR: stateDir,
    STACK_LOG: 'quiet',
  };
  const started = performance.now();
  // Exactly the root `npm start` command, without npm's own start-up in front of it.
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/local-stack/src/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const reported = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not ready within 180 s')), 180_000);
      createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
      createInterface({ input: child.stdout }).on('line', (line) => {
        output.push(line);
        const ready = /Local stack ready in ([\d.]+) s/.exec(line);
        if (ready) {
          clearTimeout(timer);
          resolve(Number(ready[1]));
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${code} before ready:\n${output.slice(-20).join('\n')}`));
      });
    });
    const wallSeconds = Math.round((performance.now() - started) / 100) / 10;
    console.error(`startup: ${kind} ${wallSeconds} s (launcher says ${reported} s)`);
    return { kind, wallSeconds, reportedSeconds: reported };
  } finally {
    if (child.exitCode === null) child.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000).unref())]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

export async function run(opts: { warmRuns?: number } = {}): Promise<StartupResult> {
  const stateDir = mkdtempSync(join(tmpdir(), 'parcel-bench-start-'));
  // Embedded PostgreSQL runs as its own user when we are root: it must reach its data folder in here.
  chmodSync(stateDir, 0o755);
  try {
    const runs = [await startOnce(stateDir, 'cold')];
    for (let i = 0; i < (opts.warmRuns ?? 2); i++) runs.push(await startOnce(stateDir, 'warm'));
    return { runs };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await run())}\n`);
}
