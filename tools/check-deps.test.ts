import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkWorkspace, type Finding } from './check-deps';

/** A fixture tree: path → file content (objects are written as JSON). */
type Tree = Record<string, string | object>;

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function workspace(tree: Tree): string {
  const root = mkdtempSync(join(tmpdir(), 'check-deps-'));
  roots.push(root);
  const files: Tree = {
    'package.json': {
      name: 'fixture',
      workspaces: ['libs/*', 'apps/*', 'test'],
      devDependencies: { vitest: '*' },
    },
    ...tree,
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

const messages = (findings: Finding[]) => findings.map(({ package: dir, message }) => `${dir}: ${message}`);

/** A lib and an app that follow every rule; each case below breaks one. */
const CLEAN: Tree = {
  'libs/contract/package.json': { name: '@x/contract' },
  'libs/contract/src/index.ts': "export const id = 'x';\n",
  'libs/contract/src/index.test.ts':
    "import { it } from 'vitest';\nimport { id } from './index';\nit('', () => id);\n",
  'apps/api/package.json': {
    name: '@x/api',
    dependencies: { '@x/contract': '*', pino: '*' },
    devDependencies: { 'fast-check': '*' },
  },
  'apps/api/src/main.ts': [
    "import { readFile } from 'node:fs/promises';",
    "import type { id } from '@x/contract';",
    "export { pino } from 'pino/browser';",
    "const lazy = () => import('pino');",
    '',
  ].join('\n'),
  'apps/api/src/main.test.ts': "import fc from 'fast-check';\nimport { it } from 'vitest';\n",
};

// Findings come sorted per package, so each expectation lists them in that order.
describe('check-deps', () => {
  it('passes a workspace that follows every rule', () => {
    expect(checkWorkspace(workspace(CLEAN))).toEqual([]);
  });

  it('fails an import that is not declared, from production code and from tests', () => {
    const root = workspace({
      ...CLEAN,
      'libs/contract/src/util.ts': "import { z } from 'zod';\n",
      'libs/contract/src/util.test.ts': "import fc from 'fast-check';\n",
    });
    expect(messages(checkWorkspace(root))).toEqual([
      'libs/contract: imports zod without declaring it in dependencies',
      'libs/contract: tests import fast-check without declaring it in devDependencies',
    ]);
  });

  it('fails a declaration that nothing imports, workspace package or npm package', () => {
    const root = workspace({
      ...CLEAN,
      'apps/api/package.json': {
        name: '@x/api',
        dependencies: { '@x/contract': '*', pino: '*', pg: '*' },
        devDependencies: { 'fast-check': '*', '@x/tools': '*', '@types/pg': '*' },
      },
    });
    expect(messages(checkWorkspace(root))).toEqual([
      'apps/api: declares @x/tools but nothing imports it',
      'apps/api: declares pg but nothing imports it',
    ]);
  });

  it('keeps production imports in dependencies and test-only imports in devDependencies', () => {
    const root = workspace({
      ...CLEAN,
      'apps/api/package.json': {
        name: '@x/api',
        dependencies: { '@x/contract': '*', 'fast-check': '*' },
        devDependencies: { pino: '*' },
      },
    });
    expect(messages(checkWorkspace(root))).toEqual([
      'apps/api: only tests import fast-check: move it from dependencies to devDependencies',
      'apps/api: production code imports pino: move it from devDependencies to dependencies',
    ]);
  });

  it('counts helpers under tests/ and testing/ as test code, not a file by its test-* name', () => {
    const helpers = workspace({
      ...CLEAN,
      'apps/api/tests/server.ts': "import fc from 'fast-check';\n",
      'apps/api/src/testing/arbitraries.ts': "import fc from 'fast-check';\n",
    });
    expect(checkWorkspace(helpers)).toEqual([]);
    const named = workspace({ ...CLEAN, 'apps/api/src/test-helpers.ts': "import fc from 'fast-check';\n" });
    expect(messages(checkWorkspace(named))).toEqual([
      'apps/api: production code imports fast-check: move it from devDependencies to dependencies',
    ]);
  });

  it('fails an app that imports another app, even from its tests', () => {
    const root = workspace({
      ...CLEAN,
      'apps/worker/package.json': { name: '@x/worker' },
      'apps/worker/src/index.ts': 'export const start = () => {};\n',
      'apps/worker/src/worker.test.ts': "import { start } from '@x/api';\n",
      'apps/api/src/index.ts': 'export const start = () => {};\n',
    });
    const findings = messages(checkWorkspace(root));
    expect(findings).toContain(
      'apps/worker: imports the app @x/api: an app imports no other app (cross-app wiring belongs in test/ or bench/)',
    );
    expect(findings).toContain('apps/worker: tests import @x/api without declaring it in devDependencies');
  });

  it('fails a lib that imports an app', () => {
    const root = workspace({
      ...CLEAN,
      'libs/contract/package.json': { name: '@x/contract', dependencies: { '@x/api': '*' } },
      'libs/contract/src/index.ts': "import { start } from '@x/api';\nexport const id = 'x';\n",
    });
    expect(messages(checkWorkspace(root))).toEqual([
      'libs/contract: imports the app @x/api: a lib imports no app (cross-app wiring belongs in test/ or bench/)',
    ]);
  });

  it('lets test/ wire apps together', () => {
    const root = workspace({
      ...CLEAN,
      'test/package.json': { name: '@x/e2e', devDependencies: { '@x/api': '*' } },
      'test/stack.test.ts': "import { start } from '@x/api';\nimport { it } from 'vitest';\n",
    });
    expect(checkWorkspace(root)).toEqual([]);
  });

  it('fails a relative import that reaches into another package', () => {
    const root = workspace({
      ...CLEAN,
      'apps/api/src/peek.ts': "import { id } from '../../../libs/contract/src/index';\n",
    });
    expect(messages(checkWorkspace(root))).toEqual([
      "apps/api: apps/api/src/peek.ts imports '../../../libs/contract/src/index', outside its package: import the package by name",
    ]);
  });

  it('tolerates a pin awaiting its code, and fails the allowance once it is stale', () => {
    const root = workspace({
      ...CLEAN,
      'libs/contract/package.json': { name: '@x/contract', dependencies: { protobufjs: '*' } },
    });
    expect(checkWorkspace(root, { awaitingImport: { '@x/contract': ['protobufjs'] } })).toEqual([]);
    expect(
      messages(checkWorkspace(root, { awaitingImport: { '@x/contract': ['protobufjs', 'gone'] } })),
    ).toEqual(['libs/contract: gone is in AWAITING_IMPORT but not declared: remove it from the list']);
    const used = workspace({
      ...CLEAN,
      'libs/contract/package.json': { name: '@x/contract', dependencies: { protobufjs: '*' } },
      'libs/contract/src/wire.ts': "import protobuf from 'protobufjs';\n",
    });
    expect(messages(checkWorkspace(used, { awaitingImport: { '@x/contract': ['protobufjs'] } }))).toEqual([
      'libs/contract: protobufjs is imported now: remove it from AWAITING_IMPORT',
    ]);
  });

  it('checks only the packages asked for', () => {
    const root = workspace({ ...CLEAN, 'libs/contract/src/util.ts': "import { z } from 'zod';\n" });
    expect(checkWorkspace(root, { only: ['apps'] })).toEqual([]);
    expect(checkWorkspace(root, { only: ['libs/contract'] })).toHaveLength(1);
  });
});
