#!/usr/bin/env node
// The published entry point: the CLI is bundled by `npm run build` (run automatically by `npm ci`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/cli/cutwater.js', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('cutwater: the CLI is not built yet; run `npm run build` (or `npm ci`) first\n');
  process.exit(2);
}
await import(pathToFileURL(bundle).href);
