import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** Prow's name for the gitignore-style file that hides parts of the job-config tree. */
export const PROW_IGNORE_FILE = '.prowignore';

/**
 * The job-config files under `root`, as Prow's `ReadJobConfig` finds them: recursive, `.yaml`
 * or `.yml`, skipping names that start with ".." (Kubernetes ConfigMap volume internals), and
 * honouring `.prowignore` files with gitignore semantics in the directory that holds them and
 * below. A single file is accepted too. The order is Prow's, since it decides preset env order.
 */
export async function listJobConfigFiles(root: string): Promise<string[]> {
  const info = await stat(root);
  if (!info.isDirectory()) return [root];
  const files: string[] = [];
  await walk(root, root, [], files);
  return files;
}

interface ScopedIgnore {
  readonly base: string;
  readonly rules: Ignore;
}

async function walk(
  root: string,
  directory: string,
  inherited: ScopedIgnore[],
  files: string[],
): Promise<void> {
  // Go's filepath.Walk: each directory's entries in name order, depth first.
  const entries = (await readdir(directory, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const scopes = [...inherited];
  if (entries.some((entry) => entry.isFile() && entry.name === PROW_IGNORE_FILE)) {
    const text = await readFile(path.join(directory, PROW_IGNORE_FILE), 'utf8');
    scopes.push({ base: directory, rules: ignore().add(text) });
  }
  for (const entry of entries) {
    if (entry.name.startsWith('..')) continue;
    const full = path.join(directory, entry.name);
    const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(full)).isDirectory());
    if (isIgnored(scopes, full, isDirectory)) continue;
    if (isDirectory) {
      await walk(root, full, scopes, files);
    } else if (/\.ya?ml$/.test(entry.name)) {
      files.push(full);
    }
  }
}

function isIgnored(scopes: readonly ScopedIgnore[], full: string, isDirectory: boolean): boolean {
  return scopes.some(({ base, rules }) => {
    const relative = path.relative(base, full).split(path.sep).join('/');
    return rules.ignores(isDirectory ? `${relative}/` : relative);
  });
}
