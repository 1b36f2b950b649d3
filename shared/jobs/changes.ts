import type { ChangeMatcher } from '../config/model';

/**
 * The files a change touches, fetched at most once and only when a job's decision needs them
 * (Prow asks GitHub lazily for the same reason: most jobs never look).
 */
export type ChangedFilesProvider = () => Promise<readonly string[]>;

export function changedFilesOnce(fetch: () => Promise<readonly string[]>): ChangedFilesProvider {
  let pending: Promise<readonly string[]> | undefined;
  return () => {
    pending ??= fetch().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

export function fixedChangedFiles(files: readonly string[]): ChangedFilesProvider {
  return () => Promise.resolve(files);
}

/**
 * Prow's `RunsAgainstChanges`: `run_if_changed` runs when any file matches; `skip_if_only_changed`
 * runs when any file does not match (so it skips only if every file matches). No files, no run.
 */
export function runsAgainstChanges(matcher: ChangeMatcher, files: readonly string[]): boolean {
  if (matcher.kind === 'run_if_changed') return files.some((file) => matcher.regexp.test(file));
  return files.some((file) => !matcher.regexp.test(file));
}
