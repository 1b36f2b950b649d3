import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigPaths } from '../shared/config/load';

/** The demo config shipped in the repo (cli/demo): what `local` and `mkpj` use without --config-path. */
export function demoConfigPaths(): ConfigPaths {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  // From cli/ (running the source) or dist/cli/ (the bundle), the repository root is one or two up.
  for (let depth = 0; depth < 4; depth++) {
    const candidate = path.join(dir, 'cli', 'demo');
    if (existsSync(path.join(candidate, 'config.yaml'))) {
      return {
        configPath: path.join(candidate, 'config.yaml'),
        jobConfigPath: path.join(candidate, 'jobs'),
        pluginConfigPath: path.join(candidate, 'plugins.yaml'),
      };
    }
    dir = path.dirname(dir);
  }
  throw new Error('the demo config (cli/demo) is missing from this installation; give --config-path');
}
