import type { CheckRun, CombinedStatus, GitHubClient, PullRequest, SearchedIssue } from '../github/client';
import type { HeadContext, Mergeability, PoolPull } from './model';
import { TIDE_CONTEXT } from './contexts';

/**
 * What the sync reads from GitHub about one open PR: the search hit (labels, author, milestone),
 * then the PR itself (head, base branch, mergeability) and its head's statuses and check runs.
 * Every read is conditional (ETags), so an unchanged PR costs no rate limit.
 */
export interface PullSnapshot {
  org: string;
  repo: string;
  branch: string;
  pull: PoolPull;
  /** The `tide` context on the head now, to write only what changed. */
  tideContext?: HeadContext;
}

/** Prow's order of preference when one context name is reported twice (a status and a check run). */
const STATE_RANK: Record<HeadContext['state'], number> = { error: 0, failure: 1, pending: 2, success: 3 };

/**
 * The head's contexts, statuses and check runs together, one per name: the better state wins when
 * a name appears twice (Prow's `deduplicateContexts` and `isStateBetter`).
 */
export function headContexts(combined: CombinedStatus, checkRuns: readonly CheckRun[]): HeadContext[] {
  const byName = new Map<string, HeadContext>();
  const add = (context: HeadContext) => {
    const known = byName.get(context.context);
    if (!known || STATE_RANK[context.state] > STATE_RANK[known.state]) byName.set(context.context, context);
  };
  for (const status of combined.statuses) {
    add({
      context: status.context,
      state: status.state,
      ...(status.description ? { description: status.description } : {}),
      ...(status.target_url ? { targetUrl: status.target_url } : {}),
    });
  }
  for (const run of checkRuns) add({ context: run.name, state: run.state, ...(run.details_url ? { targetUrl: run.details_url } : {}) });
  return [...byName.values()].sort((a, b) => a.context.localeCompare(b.context));
}

function mergeabilityOf(pull: PullRequest): Mergeability {
  if (pull.mergeable === true) return 'mergeable';
  if (pull.mergeable === false || pull.mergeable_state === 'dirty') return 'conflicting';
  return 'unknown';
}

export interface SnapshotOptions {
  /** Whether to ask for reviews (only a `reviewApprovedRequired` query needs the decision). */
  reviews: boolean;
  /** GitHub's own merge block keeps a PR out (`github_merge_blocks_policy: block`). */
  honourMergeBlocks: (org: string, repo: string) => boolean;
}

/** Reads one PR found by search; undefined when it closed meanwhile. */
export async function snapshotPull(github: GitHubClient, hit: SearchedIssue, options: SnapshotOptions): Promise<PullSnapshot | undefined> {
  const [org = '', repo = ''] = hit.repo.split('/');
  const pull = await github.getPullRequest(org, repo, hit.number);
  if (pull.state !== 'open' || pull.merged) return undefined;
  const [combined, checkRuns, reviews] = await Promise.all([
    github.getCombinedStatus(org, repo, pull.head.sha),
    github.listCheckRuns(org, repo, pull.head.sha),
    options.reviews ? github.listReviews(org, repo, pull.number) : Promise.resolve(undefined),
  ]);
  const contexts = headContexts(combined, checkRuns);
  const tideContext = contexts.find((context) => context.context === TIDE_CONTEXT);
  return {
    org,
    repo,
    branch: pull.base.ref,
    ...(tideContext ? { tideContext } : {}),
    pull: {
      number: pull.number,
      author: pull.user.login,
      title: pull.title,
      headSha: pull.head.sha,
      headRef: pull.head.ref,
      url: pull.html_url,
      labels: pull.labels.map((label) => label.name),
      ...(hit.milestone ? { milestone: hit.milestone } : {}),
      ...(pull.draft ? { draft: true } : {}),
      mergeable: mergeabilityOf(pull),
      ...(pull.mergeable_state === 'blocked' && options.honourMergeBlocks(org, repo) ? { mergeBlockedByGitHub: true } : {}),
      ...(reviews ? { reviewDecision: reviewDecisionOf(reviews) } : {}),
      contexts: contexts.filter((context) => context.context !== TIDE_CONTEXT),
      updatedAt: hit.updated_at,
    },
  };
}

/** GitHub's review decision from the reviews: each reviewer's latest approving or blocking review counts. */
function reviewDecisionOf(reviews: readonly { user: { login: string }; state: string }[]): PoolPull['reviewDecision'] {
  const latest = new Map<string, string>();
  for (const review of reviews) if (review.state === 'APPROVED' || review.state === 'CHANGES_REQUESTED' || review.state === 'DISMISSED') latest.set(review.user.login, review.state);
  const states = [...latest.values()];
  if (states.includes('CHANGES_REQUESTED')) return 'CHANGES_REQUESTED';
  if (states.includes('APPROVED')) return 'APPROVED';
  return 'REVIEW_REQUIRED';
}
