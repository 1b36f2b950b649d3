// Bundles every deployable (each Cloud Function, the runner, the CLI) into ESM with esbuild. The
// CLI and the runner are long-lived processes: all of Cutwater's own code in one file, npm
// packages left as imports. A Cloud Function is started for a request, so it is bundled with its
// npm packages too (see FUNCTION_EXTERNALS): a cold start then reads a few files instead of the
// six hundred or so that Node would otherwise resolve and read one by one in node_modules.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
// CUTWATER_DIST (a directory under the checkout, so bundles still find its node_modules) lets
// tests that build at the same time each have their own, instead of deleting each other's.
const distName = process.env.CUTWATER_DIST ?? 'dist';
const outdir = path.join(root, distName);
if (path.relative(root, outdir).startsWith('..')) throw new Error(`CUTWATER_DIST must be inside the checkout, not ${distName}`);

const entries = [{ name: 'cli/cutwater', file: 'cli/cutwater.ts' }];
if (existsSync(path.join(root, 'runner/index.ts')))
  entries.push({ name: 'runner/index', file: 'runner/index.ts' });
const functionNames = readdirSync(path.join(root, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(root, 'functions', entry.name, 'index.ts')))
  .map((entry) => entry.name);

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  // Some dependencies still call require(); give ESM bundles a require that works.
  banner: {
    js: "import { createRequire as __cutwaterRequire } from 'node:module'; const require = __cutwaterRequire(import.meta.url);",
  },
};

/**
 * The one package a function still imports from its node_modules, which its package.json names:
 * the Functions Framework, whose command line loads the function and must hand it the same module
 * instance the function registers itself with. Everything else is bundled: the Google clients,
 * and the Kubernetes client and schema in the config loader's lazy chunk (bundled, a first config
 * load imports them in about a fifth of the time, as esbuild keeps only the parts the loader uses).
 *
 * A few bundled CommonJS files use `__dirname`, which ESM does not define, to find `.proto`
 * sources on disk (google-gax's common protos, grpc-js's channelz and ORCA services): Firestore
 * and Pub/Sub ship their protos as JSON and JavaScript instead, which are bundled, so those paths
 * are never read. The banner defines `__dirname` and `__filename` as the function's own directory
 * and entry file so that these files load; a use we did not foresee fails with a path named.
 */
const FUNCTION_EXTERNALS = ['@google-cloud/functions-framework'];
const functionBanner = [
  common.banner.js,
  "import __cutwaterPath from 'node:path'; import { fileURLToPath as __cutwaterFileURLToPath } from 'node:url';",
  // The function's directory, from its index.js or from one of its chunks/.
  "const __dirname = ((dir) => (__cutwaterPath.basename(dir) === 'chunks' ? __cutwaterPath.dirname(dir) : dir))(__cutwaterPath.dirname(__cutwaterFileURLToPath(import.meta.url)));",
  "const __filename = __cutwaterPath.join(__dirname, 'index.js');",
].join(' ');

rmSync(outdir, { recursive: true, force: true });
const started = performance.now();
// Each function is built on its own with code splitting, so that what it imports with `import()`
// (config loading with the Kubernetes schema, pages only some requests reach) lands in chunks
// inside its own directory, which is what deploys, and is loaded when first used rather than at a
// cold start. The CLI and the runner are long-lived processes: one file each.
const results = await Promise.all([
  build({ ...common, entryPoints: Object.fromEntries(entries.map((entry) => [entry.name, entry.file])), outdir }),
  ...functionNames.map((name) =>
    build({
      ...common,
      packages: undefined,
      external: FUNCTION_EXTERNALS,
      banner: { js: functionBanner },
      // Maps name each line's source file and line; the sources themselves (mostly the Google
      // clients') would make each function's directory several times larger to upload.
      sourcesContent: false,
      entryPoints: { index: `functions/${name}/index.ts` },
      outdir: path.join(outdir, 'functions', name),
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
    }),
  ),
]);
const outputs = Object.assign({}, ...results.map((result) => result.metafile.outputs));
for (const [file, output] of Object.entries(outputs)) {
  if (file.endsWith('.js') && !file.includes('/chunks/'))
    console.log(`${file.padEnd(40)} ${(output.bytes / 1024).toFixed(0).padStart(6)} KiB`);
}

// Each function deploys as its own directory: it needs a package.json naming exactly the packages
// its bundle and chunks import, at the versions installed here, so the cloud build installs what was tested.
const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
for (const name of functionNames) {
  const dependencies = {};
  for (const [file, output] of Object.entries(outputs)) {
    if (!file.startsWith(`${path.relative(root, outdir)}/functions/${name}/`) || !file.endsWith('.js')) continue;
    for (const imported of output.imports) {
      if (!imported.external || builtins.has(imported.path) || imported.path.startsWith('node:')) continue;
      const packageName = packageOf(imported.path);
      const manifestPath = path.join(root, 'node_modules', packageName, 'package.json');
      // esbuild fails on an import it cannot resolve, except a require() inside try, which a
      // bundled package uses to probe for an optional package (node-fetch's `encoding`): not
      // installed here, it was not tested either, so the function does not get it.
      if (!existsSync(manifestPath)) continue;
      const installed = JSON.parse(readFileSync(manifestPath, 'utf8'));
      dependencies[packageName] = installed.version;
    }
  }
  const manifest = {
    name: `cutwater-function-${name}`,
    private: true,
    type: 'module',
    main: 'index.js',
    engines: { node: '>=22' },
    dependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b))),
  };
  writeFileSync(path.join(outdir, 'functions', name, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}
// The plugin SDK (packages/plugin-sdk) as the package that is published: its code and the few
// pure modules of shared/ it reuses in one file per entry point, npm packages left as imports,
// with declarations for TypeScript users. In the checkout it is used from source instead.
const sdkRoot = path.join(root, 'packages', 'plugin-sdk');
const sdkOut = path.join(outdir, 'plugin-sdk');
const sdkManifest = JSON.parse(readFileSync(path.join(sdkRoot, 'package.json'), 'utf8'));
await build({
  absWorkingDir: root,
  entryPoints: { index: 'packages/plugin-sdk/src/index.ts', testing: 'packages/plugin-sdk/src/testing.ts' },
  outdir: sdkOut,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(sdkRoot, 'tsconfig.build.json')], { stdio: 'inherit' });
const sdkTypes = (entry) => `./types/packages/plugin-sdk/src/${entry}.d.ts`;
writeFileSync(
  path.join(sdkOut, 'package.json'),
  `${JSON.stringify(
    {
      ...sdkManifest,
      // In place of the source entry points the checkout uses.
      exports: {
        '.': { types: sdkTypes('index'), default: './index.js' },
        './testing': { types: sdkTypes('testing'), default: './testing.js' },
      },
    },
    null,
    2,
  )}\n`,
);
copyFileSync(path.join(sdkRoot, 'README.md'), path.join(sdkOut, 'README.md'));
console.log(`${'dist/plugin-sdk/'.padEnd(40)} the publishable @cutwater/plugin-sdk (npm publish dist/plugin-sdk)`);

console.log(`built ${entries.length + functionNames.length} bundles in ${(performance.now() - started).toFixed(0)} ms`);
