/**
 * Bundles one service into what its image runs: `<out>/<service>.mjs` (one ESM file, every workspace lib
 * and npm dependency inlined), `<out>/healthcheck.mjs` (the HEALTHCHECK), and `<out>/package.json`
 * listing only what cannot be bundled, pinned to the versions the lockfile installed.
 *
 *   npx tsx infra/images/bundle.ts parcel-api --out dist/parcel-api
 */
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import {
  CONTAINER_PORTS,
  IMAGE_SERVICES,
  IMAGE_TASKS,
  type ImageService,
  REPO_ROOT,
} from '../src/image-context';

/** Optional native or cloud-only modules that dependencies require lazily inside try/catch. */
const ABSENT_OPTIONAL = ['pg-native', 'aws-crt', '@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a'];
/**
 * Modules that stay files on disk, each a production dependency of the image. @parcel/tracing loads the
 * X-Ray SDK lazily through createRequire (so `TRACING_BACKEND=off` never loads it), which a bundler cannot
 * follow; marking them external also keeps one SDK instance if anything imports them statically.
 */
export const RUNTIME_EXTERNALS = ['aws-xray-sdk-core', 'aws-xray-sdk-express'];

export interface BundleResult {
  readonly entry: string;
  readonly files: readonly string[];
  readonly dependencies: Readonly<Record<string, string>>;
}

export async function bundleService(service: ImageService, outDir: string): Promise<BundleResult> {
  const out = resolve(outDir);
  await mkdir(out, { recursive: true });
  const entry = `${service}.mjs`;
  const task = IMAGE_TASKS[service];
  await build({
    entryPoints: {
      [service]: join(REPO_ROOT, 'apps', service, 'src', 'main.ts'),
      ...(task ? { [task.name]: join(REPO_ROOT, 'apps', service, task.entry) } : {}),
    },
    outdir: out,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'inline',
    legalComments: 'none',
    logLevel: 'warning',
    external: [...ABSENT_OPTIONAL, ...RUNTIME_EXTERNALS],
    // CommonJS dependencies (the X-Ray SDK, pg) call require(); an ESM bundle has to provide it.
    banner: {
      js: "import { createRequire as __parcelCreateRequire } from 'node:module'; const require = __parcelCreateRequire(import.meta.url);",
    },
  });
  for (const folder of task?.folders ?? []) {
    await cp(join(REPO_ROOT, 'apps', service, folder), join(out, folder), { recursive: true });
  }
  const port = CONTAINER_PORTS[service];
  await writeFile(join(out, 'healthcheck.mjs'), healthcheckSource(port));
  // Whatever the bundle still requires by name must be installed next to it: find it, and refuse a
  // module nobody declared (it would crash the container at start, not the build).
  const bundles = [entry, ...(task ? [`${task.name}.mjs`] : [])];
  const code = await Promise.all(bundles.map((file) => readFile(join(out, file), 'utf8')));
  const required = requiredPackages(code.join('\n'));
  const undeclared = required.filter((name) => !RUNTIME_EXTERNALS.includes(name));
  if (undeclared.length > 0) {
    throw new Error(
      `${service}: the bundle requires ${undeclared.join(', ')} at run time; add to RUNTIME_EXTERNALS`,
    );
  }
  const dependencies = await pinnedVersions(required);
  const name = `${service}-image`;
  await writeFile(
    join(out, 'package.json'),
    `${JSON.stringify(
      { name, private: true, type: 'module', description: IMAGE_SERVICES[service].workspace, dependencies },
      null,
      2,
    )}\n`,
  );
  // The runtime stage runs `npm ci` on this: exactly the versions (and integrity hashes) the repository's
  // lockfile installed, transitive dependencies included, nothing resolved again at image build time.
  const rootLock = JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  await writeFile(
    join(out, 'package-lock.json'),
    `${JSON.stringify(runtimeLockfile(rootLock, name, dependencies), null, 2)}\n`,
  );
  const files = [entry, ...(task ? [`${task.name}.mjs`, ...task.folders] : []), 'healthcheck.mjs'];
  return { entry, files: [...files, 'package.json', 'package-lock.json'], dependencies };
}

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  devOptional?: boolean;
  [field: string]: unknown;
}
export interface Lockfile {
  name?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

/**
 * The part of the repository's lockfile (v3) that `dependencies` need at run time, at the same
 * `node_modules/…` paths (the image installs at its root, as the repository hoists): each package's
 * dependencies, optional dependencies that were installed and required peers, found the way Node
 * resolves them (nearest `node_modules` upwards). A package the lockfile lacks fails the build.
 */
export function runtimeLockfile(
  root: Lockfile,
  name: string,
  dependencies: Readonly<Record<string, string>>,
): Lockfile {
  if (root.lockfileVersion < 2) throw new Error('package-lock.json must be lockfileVersion 2 or 3');
  const packages: Record<string, LockEntry> = { '': { name, dependencies: { ...dependencies } } };
  const locate = (from: string, dep: string): string | undefined => {
    let dir = from;
    for (;;) {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${dep}`;
      if (root.packages[candidate]) return candidate;
      if (!dir) return undefined;
      const at = dir.lastIndexOf('node_modules/');
      dir = at <= 0 ? '' : dir.slice(0, at - 1);
    }
  };
  const visit = (from: string, dep: string, optional: boolean) => {
    const path = locate(from, dep);
    if (!path) {
      if (optional) return;
      throw new Error(`package-lock.json has no ${dep} (needed from ${from || 'the image'})`);
    }
    if (packages[path]) return;
    const { dev: _dev, devOptional: _devOptional, ...entry } = root.packages[path] as LockEntry;
    packages[path] = entry;
    for (const d of Object.keys(entry.dependencies ?? {})) visit(path, d, false);
    for (const d of Object.keys(entry.optionalDependencies ?? {})) visit(path, d, true);
    for (const d of Object.keys(entry.peerDependencies ?? {})) {
      visit(path, d, entry.peerDependenciesMeta?.[d]?.optional === true);
    }
  };
  for (const dep of Object.keys(dependencies)) visit('', dep, false);
  return { name, lockfileVersion: 3, requires: true, packages };
}

/** The image's HEALTHCHECK and the task's container health check: node is the only tool in slim. */
export function healthcheckSource(defaultPort: number): string {
  return `// Exit 0 when GET /health answers 200 within 2 s, else 1.
const port = process.env.PORT || '${defaultPort}';
fetch('http://127.0.0.1:' + port + '/health', { signal: AbortSignal.timeout(2000) }).then(
  (res) => process.exit(res.status === 200 ? 0 : 1),
  () => process.exit(1),
);
`;
}

/** Bare package names the bundle `require`s at run time (builtins and the absent optionals excluded). */
export function requiredPackages(code: string): string[] {
  const names = new Set<string>();
  for (const m of code.matchAll(/\brequire\d*\(\s*["']([^"'./][^"']*)["']\s*\)/g)) {
    const spec = m[1] as string;
    if (isBuiltin(spec)) continue;
    const parts = spec.split('/');
    const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
    if (!ABSENT_OPTIONAL.includes(name)) names.add(name);
  }
  return [...names].sort();
}

async function pinnedVersions(names: readonly string[]): Promise<Record<string, string>> {
  const require = createRequire(join(REPO_ROOT, 'package.json'));
  const pinned: Record<string, string> = {};
  for (const name of names) {
    const pkg = JSON.parse(await readFile(require.resolve(`${name}/package.json`), 'utf8')) as {
      version: string;
    };
    pinned[name] = pkg.version;
  }
  return pinned;
}

async function main(argv: readonly string[]): Promise<void> {
  const service = argv[0];
  if (!service || !(service in IMAGE_SERVICES)) {
    throw new Error(`usage: bundle.ts <${Object.keys(IMAGE_SERVICES).join('|')}> [--out <dir>]`);
  }
  const outFlag = argv.indexOf('--out');
  const outDir = outFlag >= 0 ? argv[outFlag + 1] : join(REPO_ROOT, 'dist', service);
  if (!outDir) throw new Error('--out needs a directory');
  const result = await bundleService(service as ImageService, outDir);
  process.stdout.write(`${JSON.stringify({ msg: 'bundled', service, outDir, ...result })}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}
