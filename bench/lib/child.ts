import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClosedLoopOptions, ClosedLoopResult, LatencySummary, OpenLoopOptions } from './load';

/** Forks a TypeScript entry under `node` (any binary: the Node 24 runtime too) with tsx as the loader. */
export function forkTs(
  entry: string,
  opts: { execPath?: string; env?: NodeJS.ProcessEnv; args?: string[] } = {},
): ChildProcess {
  return fork(entry, opts.args ?? [], {
    execPath: opts.execPath ?? process.execPath,
    execArgv: ['--import', 'tsx', '--no-warnings'],
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The first IPC message from `child` matching `predicate` (rejects if the child exits first). */
export function nextMessage<T>(
  child: ChildProcess,
  predicate: (m: unknown) => boolean,
  timeoutMs = 120_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('child did not answer in time')), timeoutMs);
    const onMessage = (m: unknown) => {
      if (predicate(m)) done(undefined, m as T);
    };
    const onExit = (code: number | null) => done(new Error(`child exited (${code}) before answering`));
    const done = (err?: Error, value?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value as T);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** A load generator in a process of its own, reusable across phases. */
export async function startLoadProcess(): Promise<{
  closed(opts: ClosedLoopOptions): Promise<ClosedLoopResult>;
  open(opts: OpenLoopOptions): Promise<LatencySummary>;
  stop(): void;
}> {
  const child = forkTs(fileURLToPath(new URL('./load-child.ts', import.meta.url)));
  await nextMessage(child, (m) => (m as { ready?: boolean }).ready === true);
  const run = async <R>(kind: 'closed' | 'open', opts: unknown): Promise<R> => {
    const reply = nextMessage<{ ok: boolean; result?: R; error?: string }>(
      child,
      (m) => 'ok' in (m as object),
    );
    child.send({ kind, opts });
    const answer = await reply;
    if (!answer.ok) throw new Error(answer.error);
    return answer.result as R;
  };
  return {
    closed: (opts) => run('closed', opts),
    open: (opts) => run('open', opts),
    stop: () => {
      child.kill('SIGTERM');
    },
  };
}
