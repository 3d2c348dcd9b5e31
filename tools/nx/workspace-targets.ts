/**
 * Gives every workspace package (libs/*, apps/*, infra, test) the same three Nx targets, so a package
 * needs no Nx file of its own; caching and inputs are in nx.json's targetDefaults. Loaded by
 * tools/nx/plugin.js.
 *
 * - `typecheck`: its files, with the workspace's compiler options (tools/typecheck.ts);
 * - `test`: its unit tests (Vitest's `unit` project), or for test/ the end-to-end suite (`e2e`);
 * - `lint`: Biome over its folder and the dependency rules for it (tools/check-deps.ts).
 */
import { dirname } from 'node:path';
import type { CreateNodesResultV2, CreateNodesV2 } from 'nx/src/project-graph/plugins';
import { listPackages, packageKind } from '../check-deps';

export const createNodes: CreateNodesV2 = [
  '**/package.json',
  (manifests, _options, context): CreateNodesResultV2 => {
    const packages = new Set(listPackages(context.workspaceRoot).map((pkg) => pkg.dir));
    return manifests
      .map((manifest) => dirname(manifest))
      .filter((dir) => packages.has(dir))
      .map((dir) => {
        const vitestProject = packageKind(dir) === 'test' ? 'e2e' : 'unit';
        const targets = {
          typecheck: { command: `tsx tools/typecheck.ts ${dir}` },
          test: { command: `vitest run --project ${vitestProject} --passWithNoTests ${dir}/` },
          lint: { command: `biome check ${dir} && tsx tools/check-deps.ts ${dir}` },
        };
        return [`${dir}/package.json`, { projects: { [dir]: { targets } } }] as const;
      });
  },
];
