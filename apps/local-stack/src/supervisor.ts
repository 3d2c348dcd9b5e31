import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ChildOptions {
  name: string;
  /** A TypeScript entry point, run with tsx as its own process (as its container would be). */
  entry: string;
  env: NodeJS.ProcessEnv;
  logDir: string;
  /** Extra modules loaded before the entry (`--import`). */
  preload?: string[];
  onLine?: (name: string, line: string) => void;
}

/**
 * One piece of the stack as a child process: its output is kept in `<logDir>/<name>.log` and echoed,
 * prefixed, to the launcher's terminal; it can be stopped gently, then firmly.
 */
export class Child {
  readonly name: string;
  private readonly process: ChildProcess;
  private readonly log: WriteStream;
  readonly exited: Promise<number | null>;
  private messages: unknown[] = [];
  private messageWaiters: ((m: unknown) => void)[] = [];

  constructor(opts: ChildOptions) {
    this.name = opts.name;
    mkdirSync(opts.logDir, { recursive: true });
    this.log = createWriteStream(join(opts.logDir, `${opts.name}.log`), { flags: 'a' });
    const imports = ['tsx', ...(opts.preload ?? [])].flatMap((m) => ['--import', m]);
    this.process = spawn(process.execPath, [...imports, opts.entry], {
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.log.write(`${line}\n`);
        opts.onLine?.(opts.name, line);
      });
    }
    this.process.on('message', (m) => {
      const waiter = this.messageWaiters.shift();
      if (waiter) waiter(m);
      else this.messages.push(m);
    });
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The next IPC message the child sends (resource wrappers announce readiness this way). */
  nextMessage(): Promise<unknown> {
    const queued = this.messages.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.messageWaiters.push(resolve));
  }

  async stop(graceMs = 5000): Promise<void> {
    if (this.running) {
      this.process.kill('SIGTERM');
      const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}
