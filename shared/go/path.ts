/**
 * Go's `path.Base` (and `filepath.Base` on Linux): the last element, ignoring trailing slashes;
 * "." for an empty path and "/" for a path of slashes. Node's `path.posix.basename` answers ""
 * for both, which is not what Prow does with label values and file names.
 */
export function goPathBase(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return path === '' ? '.' : '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
