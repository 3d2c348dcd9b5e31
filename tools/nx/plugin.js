// Nx loads plugins with plain Node, which cannot read TypeScript before Node 22.6: this shim loads the
// plugin's TypeScript through tsx (a dev dependency of the workspace) when Nx first asks for projects.
import { tsImport } from 'tsx/esm/api';

const load = () => tsImport('./workspace-targets.ts', import.meta.url);

export const createNodes = [
  '**/package.json',
  async (files, options, context) => {
    const [, create] = (await load()).createNodes;
    return create(files, options, context);
  },
];
