/**
 * The merge pool's model (Prow's tide): what one sync knows about a pool, and what it decides.
 *
 * The decision is a pure function of a `PoolState` (shared/tide/policy.ts), so the scheduler's sync
 * (shared/tide/sync.ts), the status pages and the merge-pool simulator (test/bench/merge-pool)
 * all run the same code: the sync fills a PoolState from GitHub and the store, the simulator from
 * its simulated GitHub and CI.
 */

/** One pool: Prow's subpool, the open PRs of one org/repo/branch in some query's scope. */
export interface PoolKey {
  org: string;
  repo: string;
  branch: string;
}

export function poolId(key: PoolKey): string {
  return `${key.org}/${key.repo}:${key.branch}`;
}

export type ContextState = 'success' | 'pending' | 'failure' | 'error';

/** A status context (or check run, mapped onto the same four states) on a PR's head commit. */
export interface HeadContext {
  context: string;
  state: ContextState;
  description?: string;
  targetUrl?: string;
}

/** GitHub's view of whether a PR can merge into its base (REST `mergeable`, `mergeable_state`). */
export type Mergeability = 'mergeable' | 'conflicting' | 'unknown';

/** An open PR as the sync saw it: enough to match queries, filter, and pick. */
export interface PoolPull {
  number: number;
  author: string;
  title: string;
  headSha: string;
  /** The PR's head branch name (refs' head_ref). */
  headRef?: string;
  url: string;
  labels: string[];
  milestone?: string;
  /** Whether it is a draft: GitHub cannot merge one. */
  draft?: boolean;
  mergeable: Mergeability;
  /**
   * GitHub's own merge block (`mergeable_state: blocked`: branch protection wants reviews or
   * contexts Tide does not know of). Prow asks GitHub the same; such a PR is not merged.
   */
  mergeBlockedByGitHub?: boolean;
  /** `reviewDecision` in GitHub's terms, for `reviewApprovedRequired` queries. */
  reviewDecision?: 'APPROVED' | 'CHANGES_REQUESTED' | 'REVIEW_REQUIRED';
  contexts: HeadContext[];
  /**
   * Set by the caller when the PR's merge method (from `merge_method` and the squash, rebase and
   * merge labels) is contradictory or not allowed by the repository: Prow drops such a PR.
   */
  mergeMethodProblem?: string;
  /** When GitHub last saw it change; the pages show it, the decision ignores it. */
  updatedAt?: string;
}

/**
 * A job the pool must see pass before a PR may merge: a required presubmit of the branch that
 * should run for this PR (Prow: `ContextRequired()` and `ShouldRun`), by its name and context.
 */
export interface RequiredJob {
  job: string;
  context: string;
}

export type RunState = 'triggered' | 'pending' | 'success' | 'failure' | 'aborted' | 'error';

/**
 * A ProwJob that tested something in this pool: a presubmit (one pull) or a batch (several), at
 * `baseSha` with `pulls` merged in order. Prow counts a result only at the pool's current base
 * and the pulls' current heads; a policy may also count one made on top of merges it made itself
 * (see `PoolState.mergedOnto`).
 */
export interface PoolRun {
  /** The ProwJob's name (its ID). */
  id: string;
  job: string;
  context: string;
  type: 'presubmit' | 'batch';
  baseSha: string;
  pulls: { number: number; sha: string }[];
  state: RunState;
  /** Milliseconds since the epoch. */
  createdAt: number;
  completedAt?: number;
  url?: string;
  /**
   * Set when the pool itself started the run (Prow's `created-by-tide` label). Prow lets a PR whose
   * head shows such a run pending be picked for a batch or a retest (`isRetestEligible`); a pending
   * run someone else started keeps it waiting. Absent means not the pool's.
   */
  createdByTide?: boolean;
}

/** An open issue carrying the `blocker_label`: the pool does not merge while one applies. */
export interface BlockingIssue {
  number: number;
  title: string;
  url: string;
}

/**
 * The pool's own recent merges, newest last: the branch moved from `fromSha` to `toSha` by merging
 * `pulls` (in order). A policy that tests PRs on top of others uses it to carry a run's result
 * across the merges it already counted; Prow's policy ignores it.
 */
export interface PoolMerge {
  fromSha: string;
  toSha: string;
  pulls: number[];
  at: number;
}

/** What the caller resolved from config for this pool (shared/tide/config.ts). */
export interface PoolSettings {
  /** Prow's `batch_size_limit` for the repo: 0 means no limit, negative disables batches. */
  batchSizeLimit: number;
  /** Prow's `priority`: label sets in order, best first. A PR's priority is the first it matches. */
  priority: { labels: string[] }[];
  /** Which policy decides (shared/tide/policy.ts); `tide` is Prow's, the default. */
  policy: PoolPolicyName;
  /** The most runs a policy may have in flight for this pool at once (speculation depth). */
  maxRunsInFlight?: number;
}

export type PoolPolicyName = 'tide' | 'queue';

/**
 * Prow's `TideContextPolicy` for the pool's branch, resolved from `tide.context_options` (and
 * branch protection where `from-branch-protection` is set). Contexts of required jobs are always
 * required; others are required unless optional, or unknown with `skipUnknownContexts`.
 */
export interface ContextPolicy {
  requiredContexts: string[];
  requiredIfPresentContexts: string[];
  optionalContexts: string[];
  skipUnknownContexts: boolean;
  /**
   * Prow's `optional-regex-contexts`: Go regular expressions (matched anywhere in the name); a
   * context matching one is optional. `isContextOptional` (shared/tide/config.ts) applies them.
   */
  optionalContextPatterns?: string[];
}

/** Everything one decision needs, gathered by the sync (or the simulator) at one moment. */
export interface PoolState {
  key: PoolKey;
  /** The branch's current head. */
  baseSha: string;
  /**
   * The open PRs of this branch that match a query (Prow's subpool before `filterSubpool`): the
   * decision filters them (conflicts, failing or unknown pending contexts, merge method) itself,
   * so that a filtered PR still gets a verdict saying why.
   */
  pulls: PoolPull[];
  contextPolicy: ContextPolicy;
  /** Required jobs per PR number (Prow's presubmits for the PR at this base). */
  requiredJobs: Record<number, RequiredJob[]>;
  /** Presubmits and batches for this pool, any base, newest first or in any order. */
  runs: PoolRun[];
  /** The pool's own merges, newest last (may be empty). */
  mergedOnto: PoolMerge[];
  blockers: BlockingIssue[];
  settings: PoolSettings;
  /** Milliseconds since the epoch. */
  now: number;
}

/** One pull in a run the decision asks for, at the head the pool saw. */
export interface RunPull {
  number: number;
  sha: string;
}

/**
 * What a sync does to a pool. Prow's tide takes at most one action per pool per sync (Wait,
 * Trigger, TriggerBatch, Merge, MergeBatch, PoolBlocked); a policy may ask for several runs.
 */
export type PoolAction =
  | { kind: 'wait'; reason: string }
  | { kind: 'blocked'; reason: string; blockers: number[] }
  /** Merge these PRs in this order, each with its head pinned; stop at the first that fails. */
  | { kind: 'merge'; pulls: RunPull[]; batch: boolean; reason: string }
  /** Start runs: for each, the jobs to create, at `baseSha` with `pulls` merged in order. */
  | { kind: 'trigger'; runs: RunRequest[]; reason: string }
  /** Abort runs that no longer test anything worth knowing (a policy's speculation gone stale). */
  | { kind: 'cancel'; runIds: string[]; reason: string };

export interface RunRequest {
  type: 'presubmit' | 'batch';
  baseSha: string;
  pulls: RunPull[];
  /** Job names to run; a batch retried on its failed jobs lists only those. */
  jobs: string[];
}

/** Prow's per-PR status in the pool, and how Cutwater explains it. */
export type PullPoolState = 'merging' | 'success' | 'pending' | 'missing' | 'failure' | 'excluded';

/** One required job as seen for one PR at the pool's current base. */
export interface JobVerdict {
  job: string;
  context: string;
  /** `missing`: no run at this base and head. */
  state: RunState | 'missing';
  runId?: string;
  url?: string;
}

/** Why a PR is (or is not) in the pool, in full: what the 140-character status cannot say. */
export interface PullVerdict {
  number: number;
  state: PullPoolState;
  /** One line, as the `tide` commit status says it (at most 140 characters). */
  summary: string;
  /** Each reason the PR is not merging now, most important first. */
  reasons: string[];
  jobs: JobVerdict[];
  /** Its place in the pool's order (priority, then number), 1-based; absent when excluded. */
  rank?: number;
  /**
   * The `tide` commit status state to set with `summary`, as Prow's status controller sets it:
   * success in the pool, error when GitHub or a blocker issue prevents merging, pending otherwise.
   */
  statusState?: TideStatusState;
}

export type TideStatusState = 'success' | 'pending' | 'error';

/** A decision: the action, and each pool PR's verdict. */
export interface PoolDecision {
  actions: PoolAction[];
  verdicts: PullVerdict[];
}

/** A PR as the pages and history show it. */
export interface PullSummary {
  number: number;
  title: string;
  author: string;
  headSha: string;
  url: string;
  labels: string[];
  /**
   * GitHub's mergeability as the sync saw it (the pull's `mergeable`). Optional: `tide.js` shows
   * it as Prow's `Mergeable` ("MERGEABLE", "CONFLICTING", "UNKNOWN"), and "UNKNOWN" when absent.
   */
  mergeable?: Mergeability;
}

/**
 * The latest sync's view of one pool, kept in the store for the pages (`/tide`, `tide.js`, the
 * per-PR verdict): replaced whole at each sync.
 */
export interface PoolRecord {
  id: string;
  key: PoolKey;
  baseSha: string;
  policy: PoolPolicyName;
  /** The sync's actions this time (a wait included), with their reasons. */
  actions: PoolAction[];
  pulls: PullSummary[];
  verdicts: PullVerdict[];
  /** Runs under way in this pool (triggered or pending). */
  runsInFlight: PoolRun[];
  blockers: BlockingIssue[];
  /** The pool's own recent merges, newest last: the next sync's `PoolState.mergedOnto`. */
  mergedOnto?: PoolMerge[];
  /** Merges GitHub refused lately: those PRs sit out until their head changes or an hour passes. */
  mergeRefusals?: MergeRefusal[];
  /** Set when the sync could not finish this pool: the pages say so instead of going stale. */
  error?: string;
  syncedAt: number;
}

/** A merge GitHub refused (not a moved head): what, at which head, GitHub's words, and when. */
export interface MergeRefusal {
  number: number;
  sha: string;
  error: string;
  at: number;
}

/** Prow's history actions (pkg/tide/history), as `tide-history.js` names them. */
export type HistoryActionName = 'MERGE' | 'MERGE_BATCH' | 'TRIGGER' | 'TRIGGER_BATCH' | 'BLOCKED' | 'CANCEL';

/**
 * One thing the pool did, kept durably (store), newest first in the pages: every merge, trigger,
 * block and cancel, with why. Waits are not recorded (they are in the pool record).
 */
export interface HistoryRecord {
  /** Unique and sortable by time: `<at, zero-padded>-<pool id hash>-<n>`. */
  id: string;
  poolId: string;
  key: PoolKey;
  at: number;
  action: HistoryActionName;
  baseSha: string;
  pulls: { number: number; sha: string; title?: string; author?: string }[];
  reason: string;
  /** What went wrong doing it (a merge GitHub refused), if anything. */
  error?: string;
}
