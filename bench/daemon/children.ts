import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** True when `taskset` exists and the machine has at least two cores to split between the parties. */
export function canPin(cores: number): boolean {
  if (cores < 2) return false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins every thread of this process to one core (the sender's), so it does not steal the daemon's. */
export function pinSelf(core: number): void {
  execFileSync('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore' });
}

export interface Child<T> {
  info: T;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx <script>` (optionally pinned to a core), waits for the first stdout line (a
 * JSON object saying where it listens) and returns it. The child exits when its stdin closes, so it never
 * outlives the benchmark.
 */
export async function startChild<T>(
  script: string,
  opts: { core?: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {},
): Promise<Child<T>> {
  const node = [...(opts.nodeArgs ?? []), '--import', 'tsx', script];
  const [cmd, args] =
    opts.core === undefined
      ? [process.execPath, node]
      : ['taskset', ['-c', String(opts.core), process.execPath, ...node]];
  const child = spawn(cmd, args, {
    env: { ...process.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const info = await new Promise<T>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as T));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    info,
    process: child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
