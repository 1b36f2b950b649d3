import { namedForKey } from '../prowjob/names';
import type { Config, Presubmit } from '../config/model';
import type { CommitStatus, GitHubClient, PullRequest } from '../github/client';
import { membershipChecks } from '../github/membership';
import { changedFilesOnce } from '../jobs/changes';
import { newPresubmitJob, refsForPullRequest } from '../jobs/factory';
import { presubmitShouldRun } from '../jobs/should-run';
import type { Logger } from '../log/logger';
import { pullRequestTrusted, triggerSettings, trustedUser } from '../plugins/trigger-rules';
import type { ReconciledPresubmits } from '../store/status-reconciler';
import type { Store } from '../store/store';
import {
  applyWrites,
  denied,
  fingerprintOf,
  moveWrites,
  planIsEmpty,
  planReconcile,
  recordedPresubmits,
  retireWrites,
  runsOnBranch,
  type PresubmitFacts,
  type ReconcilePlan,
} from './diff';

/**
 * Prow's status-reconciler, once per scheduler tick: when the config's presubmits changed since
 * the last tick, open PRs are brought in line — a new required job is started where it would run
 * (trusted PRs only), a removed job's context is retired, a job's renamed context takes over the
 * old one's status.
 *
 * The first tick only records what it sees, as Prow starts from the config it loads. A change is
 * claimed by compare-and-set on the store's record before anything is done, so two ticks racing
 * over the same change act once; job creation is idempotent per (record revision, PR head, job)
 * and status writes go through the outbox keyed by the same, so a re-run asks for the same things.
 * As in Prow, a change is acted on once: what fails is logged, not retried.
 */
export interface StatusReconcileChannels {
  /** Reads (open PRs, files, membership) and branch heads. */
  github: (org: string, repo: string) => Promise<GitHubClient>;
  /** Where statuses are read and written (the outbox; `cause` keys the writes). Defaults to `github`. */
  statusWriter?: (org: string, repo: string, cause: string) => Promise<GitHubClient>;
  /** Prow's `--denylist`: orgs or org/repos where added jobs are not started. */
  denylist?: readonly string[];
  /** Prow's `--denylist-all`: orgs or org/repos left alone entirely. */
  denylistAll?: readonly string[];
}

export interface StatusReconcileDependencies extends StatusReconcileChannels {
  config: Config;
  store: Pick<Store, 'jobs' | 'statusReconciler'>;
  log: Logger;
}

export interface StatusReconcileResult {
  /**
   * `recorded`: the first tick, nothing done. `unchanged`: same presubmits as last time.
   * `reconciled`: a change acted on. `raced`: another tick claimed this change first.
   */
  outcome: 'recorded' | 'unchanged' | 'reconciled' | 'raced';
  triggered: number;
  retired: number;
  migrated: number;
  errors: number;
}

export async function reconcileStatuses(deps: StatusReconcileDependencies, now: Date): Promise<StatusReconcileResult> {
  const { store, config, log } = deps;
  const result: StatusReconcileResult = { outcome: 'unchanged', triggered: 0, retired: 0, migrated: 0, errors: 0 };
  const repos = recordedPresubmits(config);
  const fingerprint = fingerprintOf(repos);
  const stored = await store.statusReconciler.get();
  if (stored?.fingerprint === fingerprint) return result;

  const next: ReconciledPresubmits = { revision: (stored?.revision ?? 0) + 1, fingerprint, recordedAt: now.getTime(), repos };
  if (!(await store.statusReconciler.advance(next, stored?.revision))) return { ...result, outcome: 'raced' };
  if (!stored) {
    log.info('status reconciler: recorded the presubmits; later config changes will be reconciled', { repos: Object.keys(repos).length });
    return { ...result, outcome: 'recorded' };
  }

  result.outcome = 'reconciled';
  const plan = planReconcile(stored.repos, config.presubmits);
  if (planIsEmpty(plan)) return result;
  log.info('status reconciler: presubmits changed', {
    revision: next.revision,
    trigger: plan.trigger.flatMap(({ repo, jobs }) => jobs.map((job) => `${repo}:${job.name}`)),
    retire: plan.retire.map(({ repo, job }) => `${repo}:${job.context}`),
    migrate: plan.migrate.map(({ repo, from, to }) => `${repo}:${from.context}->${to.context}`),
  });
  for (const repo of reposOf(plan)) {
    if (denied(deps.denylistAll, repo)) continue;
    try {
      await reconcileRepo(deps, repo, plan, next.revision, now, result);
    } catch (error) {
      result.errors += 1;
      log.warn('status reconciler: could not reconcile a repository', { repo, error });
    }
  }
  return result;
}

function reposOf(plan: ReconcilePlan<PresubmitFacts>): string[] {
  return [...new Set([...plan.trigger.map((entry) => entry.repo), ...plan.retire.map((entry) => entry.repo), ...plan.migrate.map((entry) => entry.repo)])];
}

async function reconcileRepo(
  deps: StatusReconcileDependencies,
  repo: string,
  plan: ReconcilePlan<Presubmit>,
  revision: number,
  now: Date,
  result: StatusReconcileResult,
): Promise<void> {
  const [org = '', name = ''] = repo.split('/');
  const github = await deps.github(org, name);
  const pulls = await openPullRequests(github, org, name, deps.log);
  const toTrigger = denied(deps.denylist, repo) ? [] : plan.trigger.filter((entry) => entry.repo === repo).flatMap((entry) => entry.jobs);
  const retire = plan.retire.filter((entry) => entry.repo === repo);
  const migrate = plan.migrate.filter((entry) => entry.repo === repo);
  for (const pull of pulls) {
    const cause = `status-reconciler r${revision} ${repo}#${pull.number}@${pull.head.sha}`;
    try {
      if (toTrigger.length > 0) result.triggered += await triggerOnPull(deps, github, pull, toTrigger, cause, now);
      const counts = await moveStatuses(deps, pull, retire, migrate, cause);
      result.retired += counts.retired;
      result.migrated += counts.migrated;
    } catch (error) {
      result.errors += 1;
      deps.log.warn('status reconciler: could not reconcile a pull request', { repo, pr: pull.number, error });
    }
  }
}

/** Prow lists the repository's open PRs; here through search, then each PR for its head and base. */
async function openPullRequests(github: GitHubClient, org: string, repo: string, log: Logger): Promise<PullRequest[]> {
  const found = await github.searchPullRequests(`repo:${org}/${repo} is:pr state:open`);
  if (found.incomplete) log.warn('status reconciler: GitHub’s search may have left some open PRs out', { repo: `${org}/${repo}` });
  const pulls: PullRequest[] = [];
  for (const hit of found.items) {
    const pull = await github.getPullRequest(org, repo, hit.number);
    if (pull.state === 'open') pulls.push(pull);
  }
  return pulls;
}

/**
 * Prow's triggerNewPresubmits for one PR: not drafts, not PRs GitHub says cannot merge (a push
 * will retest them anyway), only jobs that would run on the PR's branch and files, and only for a
 * trusted author or an `ok-to-test` PR (the trigger plugin's rules).
 */
async function triggerOnPull(
  deps: StatusReconcileDependencies,
  github: GitHubClient,
  pull: PullRequest,
  jobs: readonly Presubmit[],
  cause: string,
  now: Date,
): Promise<number> {
  if (pull.draft || pull.mergeable === false) return 0;
  const org = pull.base.repo.owner.login;
  const repo = pull.base.repo.name;
  const files = changedFilesOnce(async () => (await github.listPullRequestFiles(org, repo, pull.number)).map((file) => file.filename));
  const selected: Presubmit[] = [];
  // No defaults: a job whose file filter changed runs only where the new filter matches.
  for (const job of jobs) if (await presubmitShouldRun(job, pull.base.ref, files, false, false)) selected.push(job);
  if (selected.length === 0) return 0;

  const settings = triggerSettings(deps.config.plugins ?? {}, org, repo);
  const author = await trustedUser(membershipChecks(github), settings, pull.user.login, org, repo);
  if (!pullRequestTrusted(author.trusted, pull.labels.map((label) => label.name))) return 0;

  const baseSha = (await github.getBranchHeadSha(org, repo, pull.base.ref)) ?? pull.base.sha;
  const refs = refsForPullRequest(pull, baseSha);
  let created = 0;
  for (const job of selected) {
    const idempotencyKey = `${cause}/${job.name}`;
    const result = await deps.store.jobs.create(namedForKey(newPresubmitJob(job, refs, { now, config: deps.config }), idempotencyKey), { idempotencyKey });
    if (!result.created) continue;
    created += 1;
    deps.log.info('status reconciler: started a newly required presubmit', { repo: `${org}/${repo}`, pr: pull.number, job: job.name, prowJob: result.job.job.metadata.name });
  }
  return created;
}

/** Prow's migrator, retire then move, on the PR's head; each job only on the branches it ran on. */
async function moveStatuses(
  deps: StatusReconcileDependencies,
  pull: PullRequest,
  retire: readonly { job: PresubmitFacts }[],
  migrate: readonly { from: PresubmitFacts; to: PresubmitFacts }[],
  cause: string,
): Promise<{ retired: number; migrated: number }> {
  const counts = { retired: 0, migrated: 0 };
  const branch = pull.base.ref;
  const retiring = retire.filter(({ job }) => runsOnBranch(job, branch));
  const moving = migrate.filter(({ from }) => runsOnBranch(from, branch));
  if (retiring.length === 0 && moving.length === 0) return counts;

  const org = pull.base.repo.owner.login;
  const repo = pull.base.repo.name;
  const writer = await (deps.statusWriter ?? ((o: string, r: string) => deps.github(o, r)))(org, repo, cause);
  let statuses: CommitStatus[] = (await writer.getCombinedStatus(org, repo, pull.head.sha)).statuses;
  const write = async (writes: CommitStatus[]): Promise<boolean> => {
    for (const status of writes) await writer.createStatus(org, repo, pull.head.sha, status);
    statuses = applyWrites(statuses, writes);
    return writes.length > 0;
  };
  for (const { job } of retiring) if (await write(retireWrites(statuses, job.context))) counts.retired += 1;
  for (const { from, to } of moving) if (await write(moveWrites(statuses, from.context, to.context))) counts.migrated += 1;
  return counts;
}
