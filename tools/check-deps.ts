/**
 * The workspace's dependency rules, checked against the code (part of `npm run lint`):
 *
 * - every package.json declares exactly what its code imports: an import not declared, or a declaration
 *   nothing imports, is drift (both for workspace packages and for npm packages);
 * - what production code imports sits in `dependencies`, what only tests import in `devDependencies`
 *   (tests may also use the workspace's own tooling from the root `devDependencies`);
 * - module boundaries: an app imports no other app, a lib imports no app; cross-app wiring lives only in
 *   `test/` (and `bench/`, which is no package); no package reaches into another by relative path.
 *
 *   npx tsx tools/check-deps.ts              # every package
 *   npx tsx tools/check-deps.ts libs/config  # the packages under these folders only
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

type Kind = 'app' | 'lib' | 'infra' | 'test';

interface Manifest {
  name?: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface WorkspacePackage {
  name: string;
  /** Relative to the workspace root, with `/`. */
  dir: string;
  kind: Kind;
  manifest: Manifest;
}

export interface Finding {
  /** The package's folder, relative to the workspace root. */
  package: string;
  message: string;
}

/**
 * npm packages declared ahead of the code that imports them. Each entry says why; the check fails once
 * an entry is imported (or no longer declared), so the list cannot outlive its reason.
 */
export const AWAITING_IMPORT: Readonly<Record<string, readonly string[]>> = {};

/**
 * Test code: `*.test.ts`, and anything under a test/tests/testing/bench folder (the homes
 * libs/test-kit/README.md gives helpers; a `test-*` name is production code like any other).
 */
const TEST_CODE = /(^|\/)(tests?|testing|bench)\/|\.test\.tsx?$/;
const SOURCE_FILE = /\.(c|m)?tsx?$/;
const SKIPPED_DIRS = new Set(['node_modules', 'cdk.out', 'dist', '.nx', '.local']);

const toPosix = (path: string) => path.split(sep).join('/');
const readManifest = (path: string): Manifest => JSON.parse(readFileSync(path, 'utf8')) as Manifest;

export function packageKind(dir: string): Kind {
  const top = dir.split('/')[0];
  if (top === 'apps') return 'app';
  if (top === 'libs') return 'lib';
  if (top === 'test') return 'test';
  return 'infra';
}

/** The workspace's packages, from the root package.json's `workspaces` (`dir` or `dir/*` patterns). */
export function listPackages(root: string): WorkspacePackage[] {
  const patterns = readManifest(join(root, 'package.json')).workspaces ?? [];
  const dirs = patterns.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    if (!existsSync(join(root, parent))) return [];
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`);
  });
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => {
      const manifest = readManifest(join(root, dir, 'package.json'));
      return { name: manifest.name ?? dir, dir, kind: packageKind(dir), manifest };
    });
}

function sourceFiles(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : sourceFiles(path);
    return SOURCE_FILE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

interface Imports {
  /** Package name → whether production code imports it (false: only test code does). */
  packages: Map<string, boolean>;
  /** Relative imports that leave the package's folder. */
  escapes: { file: string; specifier: string }[];
}

function collectImports(root: string, pkg: WorkspacePackage): Imports {
  const packageRoot = resolve(root, pkg.dir);
  const packages = new Map<string, boolean>();
  const escapes: Imports['escapes'] = [];
  for (const file of sourceFiles(packageRoot)) {
    const inPackage = toPosix(relative(packageRoot, file));
    const production = pkg.kind !== 'test' && !TEST_CODE.test(inPackage);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (specifier.startsWith('.')) {
        const target = relative(packageRoot, resolve(dirname(file), specifier));
        if (target.startsWith('..')) escapes.push({ file: toPosix(relative(root, file)), specifier });
        continue;
      }
      if (isBuiltin(specifier)) continue;
      const name = packageNameOf(specifier);
      if (name === pkg.name) continue;
      packages.set(name, (packages.get(name) ?? false) || production);
    }
  }
  return { packages, escapes };
}

function boundaryViolation(from: WorkspacePackage, to: WorkspacePackage): string | undefined {
  if (to.kind !== 'app' || from.kind === 'test') return undefined;
  const who = {
    app: 'an app imports no other app',
    lib: 'a lib imports no app',
    infra: 'infra imports no app',
  };
  return `imports the app ${to.name}: ${who[from.kind]} (cross-app wiring belongs in test/ or bench/)`;
}

function checkPackage(pkg: WorkspacePackage, imports: Imports, context: CheckContext): string[] {
  const problems: string[] = [];
  const dependencies = new Set(Object.keys(pkg.manifest.dependencies ?? {}));
  const devDependencies = new Set(Object.keys(pkg.manifest.devDependencies ?? {}));
  const awaiting = new Set(context.awaitingImport[pkg.name] ?? []);

  for (const { file, specifier } of imports.escapes) {
    problems.push(`${file} imports '${specifier}', outside its package: import the package by name`);
  }
  for (const [name, production] of imports.packages) {
    const target = context.byName.get(name);
    const violation = target && boundaryViolation(pkg, target);
    if (violation) problems.push(violation);
    if (awaiting.has(name)) problems.push(`${name} is imported now: remove it from AWAITING_IMPORT`);
    if (production && !dependencies.has(name)) {
      problems.push(
        devDependencies.has(name)
          ? `production code imports ${name}: move it from devDependencies to dependencies`
          : `imports ${name} without declaring it in dependencies`,
      );
    }
    const declared = dependencies.has(name) || devDependencies.has(name);
    const rootTooling = !target && context.rootDevDependencies.has(name);
    if (!production && !declared && !rootTooling) {
      problems.push(`tests import ${name} without declaring it in devDependencies`);
    }
    if (!production && dependencies.has(name) && !devDependencies.has(name)) {
      problems.push(`only tests import ${name}: move it from dependencies to devDependencies`);
    }
  }
  for (const name of [...dependencies, ...devDependencies]) {
    if (imports.packages.has(name) || name.startsWith('@types/')) continue;
    if (awaiting.has(name)) continue;
    problems.push(`declares ${name} but nothing imports it`);
  }
  for (const name of awaiting) {
    if (!dependencies.has(name) && !devDependencies.has(name)) {
      problems.push(`${name} is in AWAITING_IMPORT but not declared: remove it from the list`);
    }
  }
  return problems.sort();
}

interface CheckContext {
  byName: Map<string, WorkspacePackage>;
  rootDevDependencies: Set<string>;
  awaitingImport: Readonly<Record<string, readonly string[]>>;
}

export interface CheckOptions {
  /** Check only the packages under these folders (relative to the root). */
  only?: readonly string[];
  awaitingImport?: Readonly<Record<string, readonly string[]>>;
}

/** Every rule broken in the workspace at `root`. */
export function checkWorkspace(root: string, options: CheckOptions = {}): Finding[] {
  const packages = listPackages(root);
  const context: CheckContext = {
    byName: new Map(packages.map((pkg) => [pkg.name, pkg])),
    rootDevDependencies: new Set(Object.keys(readManifest(join(root, 'package.json')).devDependencies ?? {})),
    awaitingImport: options.awaitingImport ?? AWAITING_IMPORT,
  };
  const only = options.only ?? [];
  const wanted = only.map((dir) => toPosix(relative(root, resolve(root, dir))));
  return packages
    .filter(
      (pkg) => wanted.length === 0 || wanted.some((dir) => pkg.dir === dir || pkg.dir.startsWith(`${dir}/`)),
    )
    .flatMap((pkg) =>
      checkPackage(pkg, collectImports(root, pkg), context).map((message) => ({ package: pkg.dir, message })),
    );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const findings = checkWorkspace(root, { only: process.argv.slice(2) });
  for (const { package: dir, message } of findings) console.error(`${dir}: ${message}`);
  if (findings.length > 0) {
    console.error(
      `check-deps: ${findings.length} problem(s); the rules are at the top of tools/check-deps.ts`,
    );
    process.exit(1);
  }
  console.log('check-deps: every package declares what it imports, and no boundary is crossed');
}
