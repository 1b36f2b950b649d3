// Bundles every deployable (each Cloud Function, the runner, the CLI) into one ESM file with
// esbuild: all of Cutwater's own code in one file, npm packages left as imports. The Google and
// Kubernetes clients locate their protos and certificates relative to their own files, which
// breaks when they are bundled, and deploys install node_modules anyway.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const outdir = path.join(root, 'dist');

const entries = [{ name: 'cli/cutwater', file: 'cli/cutwater.ts' }];
for (const name of readdirSync(path.join(root, 'functions'), { withFileTypes: true })) {
  const file = `functions/${name.name}/index.ts`;
  if (name.isDirectory() && existsSync(path.join(root, file)))
    entries.push({ name: `functions/${name.name}/index`, file });
}
if (existsSync(path.join(root, 'runner/index.ts')))
  entries.push({ name: 'runner/index', file: 'runner/index.ts' });

rmSync(outdir, { recursive: true, force: true });
const started = performance.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(entries.map((entry) => [entry.name, entry.file])),
  outdir,
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
});
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.js'))
    console.log(`${file.padEnd(40)} ${(output.bytes / 1024).toFixed(0).padStart(6)} KiB`);
}

// Each function deploys as its own directory: it needs a package.json naming exactly the packages
// its bundle imports, at the versions installed here, so the cloud build installs what was tested.
const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  const match = /^dist\/functions\/([^/]+)\/index\.js$/.exec(file);
  if (!match) continue;
  const dependencies = {};
  for (const imported of output.imports) {
    if (!imported.external || builtins.has(imported.path) || imported.path.startsWith('node:')) continue;
    const name = packageOf(imported.path);
    const installed = JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8'));
    dependencies[name] = installed.version;
  }
  const manifest = {
    name: `cutwater-function-${match[1]}`,
    private: true,
    type: 'module',
    main: 'index.js',
    engines: { node: '>=22' },
    dependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b))),
  };
  writeFileSync(path.join(root, 'dist', 'functions', match[1], 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
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

console.log(`built ${entries.length} bundles in ${(performance.now() - started).toFixed(0)} ms`);
