import { createHash } from 'node:crypto';
import { runsAgainstBranch } from '../config/branches';
import type { Config } from '../config/model';
import type { CommitStatus } from '../github/client';
import { compileGoAlternation } from '../go/regexp';
import { contextRequired, needsExplicitTrigger } from '../jobs/should-run';
import type { RecordedPresubmit, RecordedRepos } from '../store/status-reconciler';

/**
 * Prow's status-reconciler decisions, free of I/O: what a config change means for open pull
 * requests (which presubmits to start, which contexts to retire, which to move), and what each of
 * those does to one commit's statuses. reconcile.ts gathers the facts and carries them out.
 */

/** The fields of a presubmit the decisions read: a recorded one, or one of the loaded config. */
export interface PresubmitFacts {
  readonly name: string;
  readonly context: string;
  readonly optional?: boolean | undefined;
  readonly skip_report?: boolean | undefined;
  readonly always_run?: boolean | undefined;
  readonly run_if_changed?: string | undefined;
  readonly skip_if_only_changed?: string | undefined;
  readonly branches?: readonly string[] | undefined;
  readonly skip_branches?: readonly string[] | undefined;
}

/** The config's presubmits as the store keeps them: only the fields the diff reads, defaults left out. */
export function recordedPresubmits(config: Pick<Config, 'presubmits'>): RecordedRepos {
  const repos: RecordedRepos = {};
  for (const repo of [...config.presubmits.keys()].sort()) {
    const jobs = config.presubmits.get(repo) ?? [];
    if (jobs.length > 0) repos[repo] = jobs.map(recordOf);
  }
  return repos;
}

function recordOf(job: PresubmitFacts): RecordedPresubmit {
  return {
    name: job.name,
    context: job.context,
    ...(job.optional ? { optional: true } : {}),
    ...(job.skip_report ? { skip_report: true } : {}),
    ...(job.always_run ? { always_run: true } : {}),
    ...(job.run_if_changed ? { run_if_changed: job.run_if_changed } : {}),
    ...(job.skip_if_only_changed ? { skip_if_only_changed: job.skip_if_only_changed } : {}),
    ...(job.branches?.length ? { branches: [...job.branches] } : {}),
    ...(job.skip_branches?.length ? { skip_branches: [...job.skip_branches] } : {}),
  };
}

/** Equal for equal records: repositories sorted (recordedPresubmits does), jobs in declaration order. */
export function fingerprintOf(repos: RecordedRepos): string {
  return createHash('sha256').update(JSON.stringify(repos)).digest('hex');
}

export interface ReconcilePlan<T extends PresubmitFacts> {
  /** Presubmits of the new config to start on the repository's open PRs (where they would run). */
  trigger: { repo: string; jobs: T[] }[];
  /** Contexts no job reports any more: set to success on the PRs that carry them. */
  retire: { repo: string; job: PresubmitFacts }[];
  /** A job that now reports under another context: its status copied there, the old one retired. */
  migrate: { repo: string; from: PresubmitFacts; to: T }[];
}

/**
 * Prow's addedBlockingPresubmits, removedPresubmits and migratedBlockingPresubmits. Only
 * repositories that had presubmits before are looked at, as in Prow (a repository new to the
 * config has no PRs waiting on a context it never had). Jobs are matched by name.
 */
export function planReconcile<T extends PresubmitFacts>(
  before: Readonly<Record<string, readonly PresubmitFacts[]>>,
  after: ReadonlyMap<string, readonly T[]>,
): ReconcilePlan<T> {
  const plan: ReconcilePlan<T> = { trigger: [], retire: [], migrate: [] };
  for (const repo of Object.keys(before).sort()) {
    const old = before[repo] ?? [];
    const current = after.get(repo) ?? [];

    const added = current.filter((job) => {
      // A required context that starts by itself: PRs already open would wait on it forever.
      if (!contextRequired(job) || needsExplicitTrigger(job)) return false;
      const previous = old.find((candidate) => candidate.name === job.name);
      if (!previous) return true;
      // Newly reporting, or now chooses other files: its status on open PRs is missing or stale.
      // (An optional job made required needs nothing: its context is on the PRs already.)
      return (
        (Boolean(previous.skip_report) && !job.skip_report) ||
        (previous.run_if_changed ?? '') !== (job.run_if_changed ?? '') ||
        (previous.skip_if_only_changed ?? '') !== (job.skip_if_only_changed ?? '')
      );
    });
    if (added.length > 0) plan.trigger.push({ repo, jobs: added });

    // Any job gone by name, required or not, as Prow: retiring a context no PR carries does nothing.
    for (const job of old) if (!current.some((candidate) => candidate.name === job.name)) plan.retire.push({ repo, job });

    for (const job of current) {
      if (!contextRequired(job)) continue;
      for (const previous of old) {
        if (previous.name === job.name && previous.context !== job.context) plan.migrate.push({ repo, from: previous, to: job });
      }
    }
  }
  return plan;
}

export function planIsEmpty(plan: ReconcilePlan<PresubmitFacts>): boolean {
  return plan.trigger.length === 0 && plan.retire.length === 0 && plan.migrate.length === 0;
}

/** Prow's `Brancher.ShouldRun` for a recorded job, whose branch patterns are kept as written. */
export function runsOnBranch(job: PresubmitFacts, branch: string): boolean {
  const matchers = {
    ...(job.branches?.length ? { branches: compileGoAlternation(job.branches) } : {}),
    ...(job.skip_branches?.length ? { skipBranches: compileGoAlternation(job.skip_branches) } : {}),
  };
  return runsAgainstBranch({ branches: job.branches, skip_branches: job.skip_branches, matchers }, branch);
}

/**
 * Prow's `--denylist` (no new jobs started) and `--denylist-all` (nothing done at all): entries
 * are orgs or "org/repo".
 */
export function denied(list: readonly string[] | undefined, repo: string): boolean {
  const org = repo.split('/')[0] ?? '';
  return (list ?? []).some((entry) => entry === repo || entry === org);
}

/** Status descriptions, in Cutwater's words; Prow's mean the same. */
export function retiredDescription(replacement?: string): string {
  const text = replacement === undefined ? 'Retired: no job reports this context any more.' : `Retired: reported as "${replacement}" now.`;
  return text.length <= 140 ? text : `${text.slice(0, 137)}...`;
}

/**
 * Prow's migrator RetireMode (no replacement): a context present on the commit is set to success.
 * The writes to make; none when the commit does not carry the context or it is retired already.
 */
export function retireWrites(statuses: readonly CommitStatus[], context: string): CommitStatus[] {
  const current = statuses.find((status) => status.context === context);
  if (!current) return [];
  const retired: CommitStatus = { context, state: 'success', description: retiredDescription() };
  return sameStatus(current, retired) ? [] : [retired];
}

/**
 * Prow's MoveMode: where the old context is present and the new one is not, the new one gets the
 * old one's state, description and link, and the old one is retired naming its replacement.
 */
export function moveWrites(statuses: readonly CommitStatus[], from: string, to: string): CommitStatus[] {
  const old = statuses.find((status) => status.context === from);
  if (!old || statuses.some((status) => status.context === to)) return [];
  return [
    { context: to, state: old.state, ...(old.description ? { description: old.description } : {}), ...(old.target_url ? { target_url: old.target_url } : {}) },
    { context: from, state: 'success', description: retiredDescription(to) },
  ];
}

function sameStatus(a: CommitStatus, b: CommitStatus): boolean {
  return a.state === b.state && (a.description ?? '') === (b.description ?? '') && !a.target_url === !b.target_url;
}

/** The statuses after `writes`: each write replaces its context's latest status, as on GitHub. */
export function applyWrites(statuses: readonly CommitStatus[], writes: readonly CommitStatus[]): CommitStatus[] {
  const next = [...statuses];
  for (const write of writes) {
    const at = next.findIndex((status) => status.context === write.context);
    if (at >= 0) next[at] = write;
    else next.push(write);
  }
  return next;
}
