import { z } from 'zod';
import { compileGoRegexp, type GoRegexp } from '../go/regexp';
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
 * `required_reviewers` are always requested. The PR author is never asked. With
 * `use_status_availability`, people whose GitHub status says busy are passed over. With
 * `wait_for_status`, nothing happens when the PR opens: reviews are requested once the named
 * commit status reaches the named state (and description) on the PR's head, if none were yet.
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
  /** Skip people whose GitHub status says busy. */
  useStatusAvailability: boolean;
  /** Prow then waits for this status instead of acting when the PR opens. */
  waitForStatus?: { context: string; state: string; description: GoRegexp };
}

export function blunderbussSettings(config: PluginConfig): BlunderbussSettings {
  const section = blunderbussSection.read(config);
  return {
    requestCount: section?.request_count ?? 2,
    maxRequestCount: section?.max_request_count ?? 0,
    excludeApprovers: section?.exclude_approvers ?? false,
    ignoreDrafts: section?.ignore_drafts ?? false,
    ignoreAuthors: section?.ignore_authors ?? [],
    useStatusAvailability: section?.use_status_availability ?? false,
    ...(section?.wait_for_status ? { waitForStatus: waitForStatusOf(section.wait_for_status) } : {}),
  };
}

function waitForStatusOf(wait: NonNullable<ReviewerRequest['wait_for_status']>): NonNullable<BlunderbussSettings['waitForStatus']> {
  let description: GoRegexp;
  try {
    description = compileGoRegexp(wait.description ?? '');
  } catch {
    // The config check reports the pattern; until it is fixed, no description matches.
    description = { source: '', test: () => false, findAllSubmatches: () => [] };
  }
  return { context: wait.context ?? '', state: wait.state ?? '', description };
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

/** Takes one candidate out of the pool; undefined when none left is fit to ask. */
type Picker = (pool: LayeredSet) => Promise<string | undefined>;

/** Prow's reviewer.GetReviewers: candidates drawn nearest-first until `minimum` is reached. */
async function drawReviewers(
  source: CandidateSource,
  author: string,
  files: readonly string[],
  minimum: number,
  pickFrom: Picker,
): Promise<{ reviewers: string[]; required: string[] }> {
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
    const pick = await pickFrom(unused);
    if (pick) chosen.insert(0, pick);
  }

  const unusedNearest = nearestPool.difference(chosen.toSet());
  while (chosen.size < minimum && unusedNearest.size > 0) {
    const pick = await pickFrom(unusedNearest);
    if (!pick) break;
    chosen.insert(1, pick);
  }

  for (const file of files) {
    if (chosen.size >= minimum) break;
    const fileCandidates = source.all(file).difference(authorSet);
    while (chosen.size < minimum && fileCandidates.size > 0) {
      const pick = await pickFrom(fileCandidates);
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
  /** With `use_status_availability`: whether a candidate's GitHub status says busy. */
  isBusy?: (login: string) => Promise<boolean>;
}

/**
 * Prow's reviewer.FindReviewer: a random candidate, or with an availability check, the first
 * random candidate not busy. Busy people are remembered for the whole selection; required
 * reviewers are added regardless, as in Prow.
 */
function picker(random: () => number, isBusy: ReviewerSelection['isBusy']): Picker {
  if (!isBusy) return async (pool) => pool.popRandom(random);
  const busy = new Set<string>();
  return async (pool) => {
    for (let candidate = pool.popRandom(random); candidate !== undefined; candidate = pool.popRandom(random)) {
      if (busy.has(candidate)) continue;
      if (!(await isBusy(candidate))) return candidate;
      busy.add(candidate);
    }
    return undefined;
  };
}

/** Whom to ask for a review; never the author. */
export async function selectReviewers(selection: ReviewerSelection): Promise<string[]> {
  const { owners, files, author, settings } = selection;
  const pickFrom = picker(selection.random, selection.isBusy);
  const drawn = await drawReviewers(reviewersOf(owners), author, files, settings.requestCount, pickFrom);
  let reviewers = drawn.reviewers;
  if (reviewers.length < settings.requestCount && !settings.excludeApprovers) {
    const approvers = (await drawReviewers(approversOf(owners), author, files, settings.requestCount, pickFrom)).reviewers;
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
  const { log, github } = context;
  const { number } = pull;
  const settings = blunderbussSettings(context.plugins);
  const files = (await pull.listPullRequestFiles()).map((file) => file.filename);
  const owners = await loadOwnersForPaths(context, baseRef, files);
  const isBusy = async (login: string): Promise<boolean> => {
    try {
      return await github.isUserBusy(login);
    } catch (error) {
      // As Prow: a status GitHub would not give does not keep the person from being asked.
      log.warn('could not read the reviewer candidate\'s GitHub status', { login, error: (error as Error).message });
      return false;
    }
  };
  const reviewers = await selectReviewers({
    owners,
    files,
    author,
    settings,
    random: Math.random,
    ...(settings.useStatusAvailability ? { isBusy } : {}),
  });
  if (reviewers.length === 0) {
    log.info('no reviewers found in OWNERS for the changed files', { number });
    return;
  }
  log.info('requesting reviews', { number, reviewers });
  await pull.requestReviewers(reviewers);
}

/** The status awaited has arrived: open PRs whose head is `sha` and that nobody reviews yet get reviewers. */
async function requestReviewsAtCommit(context: PluginScope, sha: string): Promise<void> {
  const { org, repo, github, repository, log } = context;
  const settings = blunderbussSettings(context.plugins);
  const found = (await github.searchIssues(`${sha} repo:${org}/${repo} type:pr state:open`)).items;
  log.info('searched for open pull requests at the commit', { sha, found: found.length });
  const failures: Error[] = [];
  for (const item of found) {
    const pull = repository.issue(item.number);
    const pr = await pull.getPullRequest();
    if (pr.head.sha !== sha) continue;
    if (pr.draft && settings.ignoreDrafts) continue;
    if (settings.ignoreAuthors.includes(pr.user.login)) continue;
    if ((pr.requested_reviewers ?? []).length > 0) continue;
    try {
      await requestReviews(context, pull, pr.user.login, pr.base.ref);
    } catch (error) {
      log.warn('requesting reviews after the awaited status failed', { number: item.number, error: (error as Error).message });
      failures.push(error as Error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, failures.map((error) => error.message).join('; '));
}

export const blunderbuss = definePlugin('blunderbuss', {
  description:
    'Requests reviews automatically when a pull request is opened (or marked ready for review): reviewers are drawn at random from the OWNERS files of the changed files, one from the nearest reviewers of each OWNERS file, topped up to the configured count from reviewers further up and then from approvers. Required reviewers are always requested; the author never is. A PR whose description already `/cc`s people is left alone.',
  config:
    'plugins.yaml `blunderbuss:` — `request_count` (the minimum number of reviewers, default 2), `max_request_count` (the maximum, 0 for no limit), `exclude_approvers` (never fall back to approvers), `ignore_drafts` (leave draft PRs alone), `ignore_authors` (leave these authors\' PRs alone), `use_status_availability` (pass over people whose GitHub status says busy), `wait_for_status` (`context`, `state`, `description` regexp: request reviews only once that commit status is reached on the PR\'s head, rather than when the PR opens).',
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
    if (settings.waitForStatus || mentionsCc(pr.body ?? '')) return;
    if (pr.draft && settings.ignoreDrafts) return;
    if (settings.ignoreAuthors.includes(loginOf(pr.user))) return;
    await requestReviews(context, context.issue, loginOf(pr.user), pr.base.ref);
  })
  .on('status', async (context) => {
    const { sha, state, context: statusContext, description } = context.event.payload;
    const wait = blunderbussSettings(context.plugins).waitForStatus;
    if (!wait) return;
    if (!state || !statusContext || !description) throw new Error('status event delivered with an empty state, context or description');
    if (statusContext !== wait.context || state !== wait.state || !wait.description.test(description)) return;
    await requestReviewsAtCommit(context, sha);
  })
  .onComment(async (context) => {
    const { comment, issue } = context;
    if (comment.action !== 'created' || !comment.isPR || comment.issueState === 'closed') return;
    if (!isAutoCcCommand(comment.body)) return;
    const pr = await issue.getPullRequest();
    await requestReviews(context, issue, pr.user.login, pr.base.ref);
  });
