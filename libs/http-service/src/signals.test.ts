import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A real process, so the real signal handlers and process.exit run. Its close takes until it is told to
// finish (a line on stdin), so a second signal arrives while the first close is still draining.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signals-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function runService(closeOutcome: 'resolve' | 'reject') {
  const script = join(dir, `service-${closeOutcome}.ts`);
  await writeFile(
    script,
    `import { closeOnSignals } from ${JSON.stringify(join(import.meta.dirname, 'signals.ts'))};
const log = (level: string) => (fields: object, message: string) => console.log(JSON.stringify({ level, message, ...fields }));
let closes = 0;
closeOnSignals(
  () => new Promise<void>((resolve, reject) => {
    closes += 1;
    console.log(JSON.stringify({ level: 'close', closes }));
    process.stdin.once('data', () => (${JSON.stringify(closeOutcome)} === 'resolve' ? resolve() : reject(new Error('drain failed'))));
  }),
  { info: log('info'), error: log('error') },
  'draining',
);
console.log(JSON.stringify({ level: 'ready' }));
setInterval(() => {}, 1000);
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) lines.push(JSON.parse(part));
    for (const wake of waiters.splice(0)) wake();
  });
  const waitFor = async (level: string) => {
    while (!lines.some((l) => l.level === level)) await new Promise<void>((r) => waiters.push(r));
  };
  return { child, lines, waitFor };
}

describe('closeOnSignals', () => {
  it('closes once on SIGTERM, ignores a second signal while draining, and exits 0', async () => {
    const { child, lines, waitFor } = await runService('resolve');
    await waitFor('ready');
    child.kill('SIGTERM');
    await waitFor('close');
    child.kill('SIGINT');
    child.stdin.write('done\n');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(lines.filter((l) => l.level === 'close')).toEqual([{ level: 'close', closes: 1 }]);
    expect(lines).toContainEqual({ level: 'info', message: 'draining', signal: 'SIGTERM' });
  });

  it('exits 1 and logs the failure when closing fails', async () => {
    const { child, lines, waitFor } = await runService('reject');
    await waitFor('ready');
    child.kill('SIGINT');
    await waitFor('close');
    child.stdin.write('done\n');
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(lines.find((l) => l.level === 'error')?.message).toBe('close failed');
  });
});
