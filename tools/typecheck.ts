/**
 * Type-checks the packages under the given folders with the workspace's compiler options (the root
 * tsconfig.json): the per-package `typecheck` target. What a package imports from another is read for
 * its types; only the package's own files are reported. `npm run typecheck` checks every file at once.
 *
 *   npx tsx tools/typecheck.ts libs/config apps/gateway
 */
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const folders = process.argv.slice(2).map((dir) => resolve(root, dir) + sep);
if (folders.length === 0) {
  console.error('usage: tsx tools/typecheck.ts <package folder>...');
  process.exit(2);
}

const configPath = resolve(root, 'tsconfig.json');
const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, configPath);
const own = parsed.fileNames.filter((file) => folders.some((folder) => resolve(file).startsWith(folder)));

const program = ts.createProgram(own, parsed.options);
const diagnostics = [
  ...program.getOptionsDiagnostics(),
  ...program.getGlobalDiagnostics(),
  ...own.flatMap((file) => {
    const source = program.getSourceFile(file);
    return source
      ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
      : [];
  }),
];
if (diagnostics.length > 0) {
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  };
  console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  process.exit(1);
}
console.log(`typecheck: ${own.length} files, no errors`);
