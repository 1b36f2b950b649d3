import { z } from 'zod';
import type { PluginConfig } from '../config/plugin-config';
import { checkGoRegexp, pluginSection, type SectionReport } from '../config/plugin-section';
import { LayeredSet, normLogin, type RepoOwners } from '../owners/owners';
import { loadOwnersForPaths } from './repo-owners';
import { commandLines } from './comment-event';
import { loginOf } from './delivery-check';
import type { IssueHandle } from './handles';
import { definePlugin, type PluginScope } from './plugin';

/**
 * Prow's blunderbuss plugin (pkg/plugins/blunderbuss with pkg/reviewer): when a PR is opened (or
 * on `/auto-cc`), request reviews from people listed as reviewers in the OWNERS files of the
 * changed files. One reviewer is drawn at random from the nearest reviewers of each OWNERS file
 * touched; if that gives fewer than `request_count`, more are drawn from the nearest reviewers,
 * then from reviewers further up the tree, then (unless `exclude_approvers`) from approvers.
 * `required_reviewers` are always requested. The PR author is never asked.
 */

// ---- plugins.yaml `blunderbuss:` (and `rifle:`) ----

/** Shared by blunderbuss and rifle, which Prow configures with identical structs. */
export const ReviewerRequestSchema = z.object({
  request_count: z.number().int().optional(),
  max_request_count: z.number().int().optional(),
  exclude_approvers: z.boolean().optional(),
  use_status_availability: z.boolean().optional(),
  ignore_drafts: z.boolean().optional(),
  ignore_authors: z.array(z.string()).optional(),
  wait_for_status: z
    .object({
      context: z.string().optional(),
      description: z.string().optional(),
      state: z.string().optional(),
    })
    .optional(),
});
export type ReviewerRequest = z.infer<typeof ReviewerRequestSchema>;

function checkReviewerRequest(settings: ReviewerRequest, report: SectionReport): void {
  if (settings.request_count !== undefined && settings.request_count < 1) {
    report(['request_count'], `must be at least 1 (got ${settings.request_count}); omit it to request 2 reviewers`);
  }
  const description = settings.wait_for_status?.description;
  if (description) checkGoRegexp(report, ['wait_for_status', 'description'], description);
}

export const blunderbussSection = pluginSection('blunderbuss', ReviewerRequestSchema, checkReviewerRequest);
/**
 * Prow's rifle plugin, which Cutwater does not implement, reads the same settings; its section is
 * declared here so that it is checked as Prow checks it.
 */
export const rifleSection = pluginSection('rifle', ReviewerRequestSchema, checkReviewerRequest);

export interface BlunderbussSettings {
  /** At least this many reviewers, when OWNERS offer enough (Prow's default is 2). */
  requestCount: number;
  /** At most this many (0: no limit), not counting required reviewers. */
  maxRequestCount: number;
  excludeApprovers: boolean;
  ignoreDrafts: boolean;
  ignoreAuthors: string[];
  /** Prow then waits for a status instead of acting when the PR opens. */
  waitsForStatus: boolean;
}

export function blunderbussSettings(config: PluginConfig): BlunderbussSettings {
  const section = blunderbussSection.read(config);
  return {
    requestCount: section?.request_count ?? 2,
    maxRequestCount: section?.max_request_count ?? 0,
    excludeApprovers: section?.exclude_approvers ?? false,
    ignoreDrafts: section?.ignore_drafts ?? false,
    ignoreAuthors: section?.ignore_authors ?? [],
    waitsForStatus: section?.wait_for_status !== undefined,
  };
}

/** Where candidates come from: reviewers, or approvers standing in for them. */
interface CandidateSource {
  ownersFileFor(path: string): string;
  all(path: string): LayeredSet;
  nearest(path: string): Set<string>;
  required(path: string): Set<string>;
}

function reviewersOf(owners: RepoOwners): CandidateSource {
  return {
    ownersFileFor: (path) => owners.findReviewersOwnersForFile(path),
    all: (path) => owners.reviewers(path),
    nearest: (path) => owners.leafReviewers(path),
    required: (path) => owners.requiredReviewers(path),
  };
}

function approversOf(owners: RepoOwners): CandidateSource {
  return {
    ownersFileFor: (path) => owners.findApproverOwnersForFile(path),
    all: (path) => owners.approvers(path),
    nearest: (path) => owners.leafApprovers(path),
    required: (path) => owners.requiredReviewers(path),
  };
}

/** Prow's reviewer.GetReviewers: candidates drawn nearest-first until `minimum` is reached. */
function drawReviewers(
  source: CandidateSource,
  author: string,
  files: readonly string[],
  minimum: number,
  random: () => number,
): { reviewers: string[]; required: string[] } {
  const authorSet = new Set([normLogin(author)]);
  const chosen = new LayeredSet();
  const required = new Set<string>();
  if (minimum <= 0) return { reviewers: [], required: [] };

  let nearestPool = new LayeredSet();
  const seenOwnersFiles = new Set<string>();
  for (const file of files) {
    const ownersFile = source.ownersFileFor(file);
    if (seenOwnersFiles.has(ownersFile)) continue;
    seenOwnersFiles.add(ownersFile);
    for (const login of source.required(file)) required.add(login);
    const unused = new LayeredSet([...source.nearest(file)].sort()).difference(chosen.toSet()).difference(authorSet);
    if (unused.size === 0) continue;
    nearestPool = nearestPool.union(unused);
    const pick = unused.popRandom(random);
    if (pick) chosen.insert(0, pick);
  }

  const unusedNearest = nearestPool.difference(chosen.toSet());
  while (chosen.size < minimum && unusedNearest.size > 0) {
    const pick = unusedNearest.popRandom(random);
    if (!pick) break;
    chosen.insert(1, pick);
  }

  for (const file of files) {
    if (chosen.size >= minimum) break;
    const fileCandidates = source.all(file).difference(authorSet);
    while (chosen.size < minimum && fileCandidates.size > 0) {
      const pick = fileCandidates.popRandom(random);
      if (!pick) break;
      chosen.insert(2, pick);
    }
  }
  return { reviewers: chosen.list(), required: [...required].sort() };
}

export interface ReviewerSelection {
  owners: RepoOwners;
  /** Changed files, in GitHub's order. */
  files: readonly string[];
  author: string;
  settings: Pick<BlunderbussSettings, 'requestCount' | 'maxRequestCount' | 'excludeApprovers'>;
  /** [0, 1), like Math.random; injected so the draw can be tested. */
  random: () => number;
}

/** Whom to ask for a review; never the author. */
export function selectReviewers(selection: ReviewerSelection): string[] {
  const { owners, files, author, settings, random } = selection;
  const drawn = drawReviewers(reviewersOf(owners), author, files, settings.requestCount, random);
  let reviewers = drawn.reviewers;
  if (reviewers.length < settings.requestCount && !settings.excludeApprovers) {
    const approvers = drawReviewers(approversOf(owners), author, files, settings.requestCount, random).reviewers;
    reviewers = [...new Set([...reviewers, ...approvers])];
  }
  if (settings.maxRequestCount > 0 && reviewers.length > settings.maxRequestCount) {
    reviewers = reviewers.slice(0, settings.maxRequestCount);
  }
  const authorLogin = normLogin(author);
  return [...new Set([...reviewers, ...drawn.required])].filter((login) => login !== authorLogin);
}

/** A `/cc` in the PR body means the author chose reviewers; Prow then leaves the PR alone. */
export function mentionsCc(body: string): boolean {
  return commandLines(body).some((line) => /^\/(?:un)?cc(?:(?: +@?[-/\w]+?)*)\s*$/i.test(line));
}

export function isAutoCcCommand(body: string): boolean {
  return commandLines(body).some((line) => /^\/auto-cc$/i.test(line));
}

async function requestReviews(context: PluginScope, pull: IssueHandle, author: string, baseRef: string): Promise<void> {
  const { log } = context;
  const { number } = pull;
  const files = (await pull.listPullRequestFiles()).map((file) => file.filename);
  const owners = await loadOwnersForPaths(context, baseRef, files);
  const reviewers = selectReviewers({
    owners,
    files,
    author,
    settings: blunderbussSettings(context.plugins),
    random: Math.random,
  });
  if (reviewers.length === 0) {
    log.info('no reviewers found in OWNERS for the changed files', { number });
    return;
  }
  log.info('requesting reviews', { number, reviewers });
  await pull.requestReviewers(reviewers);
}

export const blunderbuss = definePlugin('blunderbuss', {
  description:
    'Requests reviews automatically when a pull request is opened (or marked ready for review): reviewers are drawn at random from the OWNERS files of the changed files, one from the nearest reviewers of each OWNERS file, topped up to the configured count from reviewers further up and then from approvers. Required reviewers are always requested; the author never is. A PR whose description already `/cc`s people is left alone.',
  config:
    'plugins.yaml `blunderbuss:` — `request_count` (the minimum number of reviewers, default 2), `max_request_count` (the maximum, 0 for no limit), `exclude_approvers` (never fall back to approvers), `ignore_drafts` (leave draft PRs alone), `ignore_authors` (leave these authors\' PRs alone).',
  commands: [
    {
      usage: '/auto-cc',
      description: 'Requests reviews from reviewers in OWNERS now, for example after the OWNERS files changed.',
      examples: ['/auto-cc'],
      who: 'Anyone, on pull requests.',
    },
  ],
})
  .settings(blunderbussSection)
  .settings(rifleSection)
  .on(['pull_request.opened', 'pull_request.ready_for_review'], async (context) => {
    const { pull_request: pr } = context.event.payload;
    const settings = blunderbussSettings(context.plugins);
    if (settings.waitsForStatus || mentionsCc(pr.body ?? '')) return;
    if (pr.draft && settings.ignoreDrafts) return;
    if (settings.ignoreAuthors.includes(loginOf(pr.user))) return;
    await requestReviews(context, context.issue, loginOf(pr.user), pr.base.ref);
  })
  .onComment(async (context) => {
    const { comment, issue } = context;
    if (comment.action !== 'created' || !comment.isPR || comment.issueState === 'closed') return;
    if (!isAutoCcCommand(comment.body)) return;
    const pr = await issue.getPullRequest();
    await requestReviews(context, issue, pr.user.login, pr.base.ref);
  });
