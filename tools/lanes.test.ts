import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { formatSteps, type Lane, runPhases } from './lanes';

const node = process.execPath;
const script = (title: string, code: string) => ({ title, node, args: ['-e', code] });
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('runPhases', () => {
  it('runs a phase’s lanes together, every step even after a failure, each output as one block', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lanes-test-'));
    const mark = (name: string) => JSON.stringify(join(dir, name));
    // Each lane's step waits for the other's to have started: they only finish if they ran side by side.
    const waitFor = (name: string) =>
      `const fs=require('fs');const t=setInterval(()=>{if(fs.existsSync(${mark(name)})){clearInterval(t);done()}},10);`;
    const phases: Lane[][] = [
      [
        {
          name: 'a',
          steps: [
            script(
              'a waits for b',
              `require('fs').writeFileSync(${mark('a')},'');console.log('a1');${waitFor('b')}function done(){console.log('a2')}`,
            ),
          ],
        },
        {
          name: 'b',
          steps: [
            script(
              'b fails',
              `require('fs').writeFileSync(${mark('b')},'');console.log('b1');${waitFor('a')}function done(){console.error('b2');process.exit(3)}`,
            ),
            script('b goes on', `console.log('b3')`),
          ],
        },
      ],
      [
        {
          name: 'c',
          steps: [
            script(
              'c reports a duration',
              `require('fs').writeFileSync(require('path').join(process.env.TEST_DURATIONS_DIR,'x.json'),JSON.stringify([{project:'p',node:'20',file:'f.test.ts',ms:5,failed:false}]))`,
            ),
          ],
        },
      ],
    ];
    const blocks: string[] = [];
    const { results, durations } = await runPhases(phases, { cwd: dir, write: (b) => blocks.push(b) });

    expect(results.map((r) => [r.lane, r.title, r.code])).toEqual([
      ['a', 'a waits for b', 0],
      ['b', 'b fails', 3],
      ['b', 'b goes on', 0],
      ['c', 'c reports a duration', 0],
    ]);
    const blockOf = (line: string) => blocks.filter((b) => b.split('\n').includes(line));
    for (const line of ['a1', 'a2', 'b1', 'b2', 'b3']) expect(blockOf(line), line).toHaveLength(1);
    expect(blockOf('a1')[0]).toContain('\na2\n');
    expect(blockOf('b1')[0]).toContain('\nb2\n');
    expect(blockOf('b1')[0]).not.toContain('a1');
    expect(blockOf('b1')[0]).toContain('━━ ✗ b: b fails');
    expect(durations).toEqual([{ project: 'p', node: '20', file: 'f.test.ts', ms: 5, failed: false }]);
    expect(formatSteps(results, 1000)).toContain('1 step(s) failed in 1.0 s.');
  });

  it('runs a step at the niceness it asks for', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lanes-test-'));
    const blocks: string[] = [];
    await runPhases(
      [
        [
          {
            name: 'low',
            steps: [{ ...script('nice', `console.log('nice=' + require('os').getPriority())`), nice: 19 }],
          },
        ],
      ],
      { cwd: dir, write: (b) => blocks.push(b) },
    );
    expect(blocks.join('')).toContain('\nnice=19\n');
  });

  it('counts a command that cannot start as a failed step', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lanes-test-'));
    const { results } = await runPhases(
      [[{ name: 'x', steps: [{ title: 'nothing', node: join(dir, 'no-such-node'), args: [] }] }]],
      { cwd: dir, write: () => {} },
    );
    expect(results[0]?.code).not.toBe(0);
  });
});

describe('tools/run-tests.ts', () => {
  it('refuses a lane it does not have, naming the ones it has', () => {
    dir = mkdtempSync(join(tmpdir(), 'lanes-test-'));
    const run = spawnSync(
      node,
      ['--import', 'tsx', fileURLToPath(new URL('./run-tests.ts', import.meta.url)), 'no-such-lane'],
      { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      'no lane named no-such-lane; lanes: unit, e2e, e2e-own, soak, node24, incident, types',
    );
  });
});
