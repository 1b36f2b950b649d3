import type { Postsubmit, Presubmit } from '../config/model';
import { runsAgainstBranch } from '../config/branches';
import { type ChangedFilesProvider, runsAgainstChanges } from './changes';

/** Prow's `NeedsExplicitTrigger`: neither always_run nor a file filter, so only a command starts it. */
export function needsExplicitTrigger(job: Pick<Presubmit, 'always_run' | 'run_if_changed' | 'skip_if_only_changed'>): boolean {
  return !job.always_run && !job.run_if_changed && !job.skip_if_only_changed;
}

/** Prow's `TriggersConditionally`: a job that does not run on every pull request. */
export function triggersConditionally(job: Presubmit): boolean {
  return needsExplicitTrigger(job) || Boolean(job.run_if_changed || job.skip_if_only_changed);
}

/** Prow's `ContextRequired`: a failing status on this context blocks merging. */
export function contextRequired(job: Pick<Presubmit, 'optional' | 'skip_report'>): boolean {
  return !job.optional && !job.skip_report;
}

export function triggerMatches(job: Presubmit, body: string): boolean {
  return Boolean(job.trigger) && (job.matchers.trigger?.test(body) ?? false);
}

/**
 * Prow's `Presubmit.ShouldRun`. `forced`: a command named this job. `defaults`: what to do when
 * the job has no file filter to decide with (true for `/test <name>`, `/retest` of a failure).
 */
export async function presubmitShouldRun(
  job: Presubmit,
  baseRef: string,
  changedFiles: ChangedFilesProvider,
  forced: boolean,
  defaults: boolean,
): Promise<boolean> {
  if (!runsAgainstBranch(job, baseRef)) return false;
  if (job.always_run || forced) return true;
  const changes = job.matchers.changes;
  if (changes && runsAgainstChanges(changes, await changedFiles())) return true;
  return defaults;
}

/** Prow's `Postsubmit.ShouldRun`: branch first, then the file filter, then always_run (default true). */
export async function postsubmitShouldRun(
  job: Postsubmit,
  baseRef: string,
  changedFiles: ChangedFilesProvider,
): Promise<boolean> {
  if (!runsAgainstBranch(job, baseRef)) return false;
  const changes = job.matchers.changes;
  if (changes) return runsAgainstChanges(changes, await changedFiles());
  return job.always_run ?? true;
}

/** The postsubmits to start for a push to `baseRef` that changed `changedFiles`. */
export async function postsubmitsForPush(
  jobs: readonly Postsubmit[],
  baseRef: string,
  changedFiles: ChangedFilesProvider,
): Promise<Postsubmit[]> {
  const selected: Postsubmit[] = [];
  for (const job of jobs) if (await postsubmitShouldRun(job, baseRef, changedFiles)) selected.push(job);
  return selected;
}

/** The presubmits to start when a pull request is opened, reopened or updated. */
export async function presubmitsForPullRequest(
  jobs: readonly Presubmit[],
  baseRef: string,
  changedFiles: ChangedFilesProvider,
): Promise<Presubmit[]> {
  const selected: Presubmit[] = [];
  for (const job of jobs)
    if (await presubmitShouldRun(job, baseRef, changedFiles, false, false)) selected.push(job);
  return selected;
}
