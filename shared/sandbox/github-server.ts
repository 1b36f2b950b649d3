import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BranchProtectionSettings, CommitState, CommitStatus, MergeableState, Review } from '../github/client';
import { CommitGraph } from './github-git';
import { compileSearch, SearchQueryError, type SearchSubject } from './github-search';

/**
 * A stateful stand-in for GitHub's REST API on a loopback port, for tests that run the real
 * client (shared/github/octokit.ts) over real HTTP, and for local mode's sandbox GitHub
 * (./sandbox.ts), which serves it to plugins, reporter and Tide when there are no credentials. It
 * answers the routes the client uses with GitHub's shapes and GitHub's quirks that Cutwater depends on: labels created on first use,
 * assignees silently dropped when they cannot be assigned, reviews requested all-or-nothing,
 * lists paged 30 at a time unless asked for up to 100, combined statuses keeping the latest per
 * context. Anything it does not implement answers 404 or 422 rather than pretending.
 *
 * Tests seed state with the synchronous methods, drive code under test, then inspect state and
 * `requests`, the record of every request in arrival order.
 *
 * Like GitHub, it sends an ETag with every GET it answers 200 and answers a matching
 * `If-None-Match` with 304 Not Modified, and it reports a primary rate limit per credential in
 * `X-RateLimit-*` headers (every answer but a 304 uses one request; nothing is refused for it).
 *
 * Writes can be made slow (`writeDelayMs`) and held to GitHub's secondary limits
 * (`secondaryLimits`): beyond so many content writes per credential in a sliding minute or hour,
 * a write is answered 403 with GitHub's secondary-limit message and a Retry-After saying when the
 * window has room again. `counters()` says how many writes were taken and refused.
 *
 * For a merge pool (Tide) it keeps a git history per repository at the grain of files
 * (github-git.ts): branches move when a PR merges (`PUT .../merge`, head SHA checked) or a
 * test pushes (`pushToBranch`); a PR conflicts once a file it changes was changed on its branch
 * after its base, which is what `mergeable` says; scratch branches (`POST/DELETE .../git/refs`)
 * and `POST .../merges` let a client trial-merge heads as git would. Check runs are seeded per
 * commit. Search understands the qualifiers Prow's tide queries use (github-search.ts).
 *
 * It also plays GitHub's OAuth web flow (`/login/oauth/...`, on github.com's web host rather than
 * the API): `oauth.nextLogin` says who approves the authorization, and the user token it issues
 * answers `GET /user` as that user.
 */

export interface RecordedRequest {
  method: string;
  /** As sent, percent-encoding included, without the query string. */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body, or undefined when there was none. */
  body: unknown;
  authorization: string | undefined;
  /** The GitHub route the request was for, e.g. `GET /repos/{owner}/{repo}/pulls/{pull_number}`; undefined when the fake has no such route. */
  route: string | undefined;
  /** The status answered (0 until the answer is sent). */
  status: number;
  /** The request's `If-None-Match` header: a conditional request. */
  ifNoneMatch: string | undefined;
}

export interface InjectedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeGitHubOptions {
  /** The login a personal token acts as. Default `cutwater-bot`. */
  botLogin?: string;
  /** The App's slug: installation tokens act as `<slug>[bot]`. Default `cutwater`. */
  appSlug?: string;
  /** The App ID that GET /app reports. Default 1. */
  appId?: number;
  /** The clock for created_at and updated_at. */
  now?: () => Date;
  /** The OAuth App the web flow accepts. Default `fake-oauth-client` / `fake-oauth-secret`. */
  oauthClientId?: string;
  oauthClientSecret?: string;
  /** Every content write is answered this long after it arrives (GitHub's writes take a while). Default 0. */
  writeDelayMs?: number;
  /** GitHub's secondary limits on content writes, per credential; unset, no write is refused for speed. */
  secondaryLimits?: SecondaryLimits;
  /**
   * As GitHub: once a branch moves, the next read of each open PR on it says `mergeable: null`
   * (GitHub recomputes in the background) and the read after that the answer. Default false:
   * every read has the answer.
   */
  lazyMergeability?: boolean;
}

/**
 * What a test says of a PR's mergeability over the conflict model: `conflicting` (a conflict the
 * model does not see), `unknown` (GitHub still computing: `mergeable: null`), `blocked` (branch
 * protection or a ruleset refuses it: reviews, required checks), `behind` (protection wants it up
 * to date), `unstable` (a check that is not required fails; it still merges). `computed` goes
 * back to the model.
 */
export type ForcedMergeability = 'conflicting' | 'unknown' | 'blocked' | 'behind' | 'unstable';

/** A merge GitHub made through `PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge`. */
export interface RecordedMerge {
  repo: string;
  number: number;
  /** The PR's head that was merged. */
  sha: string;
  mergeMethod: 'merge' | 'squash' | 'rebase';
  commitTitle?: string;
  commitMessage?: string;
  baseRef: string;
  /** The base branch's head before and after. */
  baseShaBefore: string;
  mergeCommitSha: string;
}

export interface SeedCheckRun {
  name: string;
  /** Default `completed` when a conclusion is given, else `queued`. */
  status?: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion?: 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'stale' | null;
  detailsUrl?: string;
}

/**
 * Content writes (POST, PATCH, PUT, DELETE on the API, but not minting installation tokens) each
 * credential may make in any sliding minute and hour; GitHub documents 80 and 500.
 */
export interface SecondaryLimits {
  perMinute?: number;
  perHour?: number;
  /**
   * How long the "minute" and the "hour" last, default 60 s and 1 h: shorter for benchmarks that
   * compress time (a tenth of each, with writes a tenth as slow, is the same load ten times faster).
   */
  minuteMs?: number;
  hourMs?: number;
}

export interface FakeGitHubCounters {
  /** Content writes taken (not refused for a secondary limit), all credentials. */
  writes: number;
  /** Writes refused with a secondary-limit 403. */
  secondaryLimited: number;
  /** The most content writes of one credential that were in flight at once. */
  peakConcurrentWrites: number;
}

/** GitHub's OAuth web flow, as the fake plays it. */
export interface FakeOAuth {
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * Who approves authorizations: `GET /login/oauth/authorize` sends the browser straight back to
   * `redirect_uri` with a code for this user. Unset, the user declines (`error=access_denied`),
   * as when they press Cancel on GitHub.
   */
  nextLogin: string | undefined;
  /** The user tokens the flow has issued, with the login each acts as. */
  readonly issuedTokens: ReadonlyMap<string, string>;
}

export interface SeedPullRequest {
  number: number;
  author: string;
  title?: string;
  body?: string;
  headSha?: string;
  /** The head branch's name. Default `pr-<number>`. */
  headRef?: string;
  baseRef?: string;
  draft?: boolean;
  /** false: conflicting whatever the model says; null: unknown (see setMergeability). Default: the model's answer. */
  mergeable?: boolean | null;
  labels?: string[];
  /** The files the PR changes: what decides its conflicts (see github-git.ts). */
  files?: SeedFile[];
  authorAssociation?: string;
  /** The milestone's title. */
  milestone?: string;
  /**
   * The PR's commits, oldest first; the last is its head (its SHA is `headSha` when both are
   * given). Default: one commit, the head, whose message is the title.
   */
  commits?: SeedCommit[];
}

export interface SeedCommit {
  sha?: string;
  message: string;
  /**
   * The parents' SHAs. Default: the commit before it in the list, the first one's being the base
   * commit the PR was made on; two or more make a merge commit.
   */
  parents?: string[];
}

export interface SeedFile {
  filename: string;
  additions?: number;
  deletions?: number;
  status?: string;
  previousFilename?: string;
}

export interface SeedIssue {
  number: number;
  author: string;
  title?: string;
  body?: string;
  labels?: string[];
  milestone?: string;
}

export interface FakeGitHub {
  /** Base URL for the client (GITHUB_API_URL), e.g. http://127.0.0.1:PORT. */
  url: string;
  requests: RecordedRequest[];
  /** The OAuth web flow, served on `url` too (a non-github.com API URL is its own web host). */
  oauth: FakeOAuth;
  close(): Promise<void>;

  addRepo(
    fullName: string,
    options?: { defaultBranch?: string; archived?: boolean; mergeMethods?: Partial<Record<'merge' | 'squash' | 'rebase', boolean>> },
  ): void;
  addOrgMember(org: string, login: string): void;
  /** A collaborator, with write access unless said otherwise (GitHub's `permission`: admin, write or read). */
  addCollaborator(fullName: string, login: string, permission?: CollaboratorPermission): void;
  /** Team members are members of the org too, as on GitHub. */
  addTeamMember(org: string, teamSlug: string, login: string): void;
  /** A team's access to a repository, as `GET /repos/{owner}/{repo}/teams` lists it. */
  addRepoTeam(fullName: string, teamSlug: string, permission: 'pull' | 'triage' | 'push' | 'maintain' | 'admin'): void;
  /** A GitHub App installed on the org, with its repository contents permission. */
  addAppInstallation(org: string, appSlug: string, contents: 'read' | 'write'): void;
  /**
   * A file's text at a ref (default: the default branch). Reads at any ref fall back to the
   * default branch for files not set at that ref, so a test sets only what a PR changes.
   */
  setFile(fullName: string, path: string, content: string, ref?: string): void;
  addPullRequest(fullName: string, pr: SeedPullRequest): void;
  addIssue(fullName: string, issue: SeedIssue): void;
  addRepoLabels(fullName: string, labels: string[]): void;
  /** A milestone of the repository; answers its number. */
  addMilestone(fullName: string, title: string, options?: { state?: 'open' | 'closed' }): number;
  /** A comment by someone else. */
  addComment(fullName: string, number: number, user: string, body: string): { id: number };
  addReview(fullName: string, number: number, review: { user: string; state: Review['state']; body?: string }): void;

  repoLabels(fullName: string): string[];
  labels(fullName: string, number: number): string[];
  comments(fullName: string, number: number): { id: number; body: string; user: string }[];
  /** Reactions on an issue or PR (a number) or on a comment (`{ commentId }`), as "user:content", oldest first. */
  reactions(fullName: string, on: number | { commentId: number }): string[];
  reviews(fullName: string, number: number): { id: number; user: string; state: Review['state']; body: string }[];
  /** The latest status per context, in the order the contexts first appeared. */
  statuses(fullName: string, sha: string): CommitStatus[];
  assignees(fullName: string, number: number): string[];
  requestedReviewers(fullName: string, number: number): string[];
  /** Teams asked for a review, as "org/slug". */
  requestedTeams(fullName: string, number: number): string[];
  issue(fullName: string, number: number): { title: string; body: string | null; state: 'open' | 'closed' };
  /** The title of the issue's or PR's milestone, null when it has none. */
  milestone(fullName: string, number: number): string | null;
  /** Why the issue was closed or reopened, as last set with `state_reason`; null when never said. */
  stateReason(fullName: string, number: number): string | null;

  /** A PR as GitHub would answer it now (mergeability included, never lazily unknown). */
  pullRequest(
    fullName: string,
    number: number,
  ): { state: 'open' | 'closed'; merged: boolean; headSha: string; baseRef: string; mergeable: boolean | null; mergeableState: MergeableState; mergeCommitSha: string | null };
  /** Where a branch points; undefined when there is no such branch. */
  branchHead(fullName: string, branch: string): string | undefined;
  /** Every branch and where it points, by name. */
  branches(fullName: string): Record<string, string>;
  /** Someone pushes a commit changing `files` to a branch (created if need be); answers its SHA. */
  pushToBranch(fullName: string, branch: string, change: { files: string[]; sha?: string }): string;
  /**
   * The author pushes a new head: `files` (default: the same) is the PR's whole change now, and
   * with `rebase` it sits on the branch's current head (resolving conflicts, and a forced
   * `conflicting`). Answers the new head's SHA.
   */
  pushPullRequestHead(
    fullName: string,
    number: number,
    change?: { sha?: string; files?: SeedFile[]; rebase?: boolean; commits?: SeedCommit[] },
  ): string;
  /** Overrides the conflict model's answer for one PR (see ForcedMergeability); `computed` undoes it. */
  setMergeability(fullName: string, number: number, state: ForcedMergeability | 'computed'): void;
  /** The merges made through the API, oldest first. */
  merges(): RecordedMerge[];
  /** Seeds a branch's protection (the branch is created if need be); undefined: unprotected. */
  setBranchProtection(fullName: string, branch: string, settings: BranchProtectionSettings | undefined): void;
  /** The branch's protection now, as PUT through the API; undefined when unprotected. */
  branchProtection(fullName: string, branch: string): BranchProtectionSettings | undefined;
  /** A check run on a commit; a later one with the same name supersedes it in the latest view. */
  addCheckRun(fullName: string, sha: string, run: SeedCheckRun): { id: number };

  /**
   * The next `times` requests whose method matches and whose path (as sent, no query) matches the
   * pattern get this answer instead; see secondaryRateLimit() and primaryRateLimit().
   */
  failNext(method: string, pathPattern: RegExp, response: InjectedResponse, times?: number): void;
  /**
   * The next request whose method and path match takes effect, but its answer is lost: the client
   * gets `status` (default 502) instead, as when GitHub did the work and a proxy failed.
   */
  loseNextAnswer(method: string, pathPattern: RegExp, status?: number): void;
  /** Overrides the computed count for exactly this query; the search otherwise runs over the state. */
  setSearchCount(query: string, count: number): void;
  /**
   * Sets the primary rate limit of every credential, those seen and those to come, as if this
   * much of the current window were left (default limit 5000, as for an installation).
   */
  setRateLimit(budget: { remaining: number; limit?: number }): void;
  /** GET answers whose path matches carry `Cache-Control: no-store` (and still an ETag). */
  noStore(pathPattern: RegExp): void;
  /** As the option `writeDelayMs`, from now on. */
  setWriteDelay(ms: number): void;
  /**
   * GET requests whose path matches get no answer until the returned function is called: a GitHub
   * that hangs on one kind of read.
   */
  stallReads(pathPattern: RegExp): () => void;
  /** As the option `secondaryLimits`, from now on (undefined: no limits); writes already taken count. */
  enforceSecondaryLimits(limits: SecondaryLimits | undefined): void;
  counters(): FakeGitHubCounters;

  /** A tag of the repository, at `sha` (default: the default branch's head). */
  addTag(fullName: string, tag: string, sha?: string): void;
  /** The repository's pinned issues (GraphQL pinIssue/unpinIssue), by number, in pinning order. */
  pinnedIssues(fullName: string): number[];
  /** Issues moved by GraphQL transferIssue, as "owner/repo#n" → "owner/other#m", oldest first. */
  transfers(): { from: string; to: string }[];
  /** What `GET .../pulls/{n}` answers under `Accept: application/vnd.github[.v3].patch` (the cherry-picker's patch). */
  setPullRequestPatch(fullName: string, number: number, patch: string): void;
  /** The PRs opened through `POST .../pulls`, oldest first. */
  openedPullRequests(fullName: string): { number: number; title: string; body: string; head: string; base: string; author: string }[];
  /** GitHub's search index lags: until then, search does not find this issue or PR. */
  leaveOutOfSearch(fullName: string, number: number): void;

  /** Someone other than the client adds a label (recorded as a `labeled` event by them). */
  addLabelAs(fullName: string, number: number, label: string, actor: string): void;
  /** The issue's `labeled` and `unlabeled` events, oldest first, as "actor:event:label". */
  labelEvents(fullName: string, number: number): string[];
  /** The tree SHA GitHub would answer for a commit (see CommitGraph.tree). */
  treeOf(fullName: string, sha: string): string;
  /** An inline comment on a PR's diff, by someone else. */
  addReviewComment(fullName: string, number: number, comment: { user: string; body: string; path: string }): { id: number };
  /** The comments submitted with reviews and seeded inline, oldest first. */
  reviewComments(fullName: string, number: number): { user: string; path: string; body: string; position: number | null }[];
  /** Gives a team (made with addTeamMember) the numeric ID GitHub's `/teams/{team_id}` routes take. */
  setTeamId(org: string, teamSlug: string, id: number): void;
  /** The user's GitHub status says busy (GraphQL `indicatesLimitedAvailability`), or no longer does. */
  setUserBusy(login: string, busy: boolean): void;

  /** Every repository, by full name, in the order they were made. */
  repositories(): string[];
  /** The repository's issues and PRs, by number, oldest first. */
  issueNumbers(fullName: string): number[];
  /** A token whose requests act as `login` (as a user's OAuth token would). */
  userToken(login: string): string;
  /**
   * GitHub's JSON for what a webhook carries: the repository, a user, an issue or PR as the issues
   * API answers it, a PR as the pulls API answers it, a comment, a review.
   */
  webhookJson(
    fullName: string,
    what: { repository: true } | { user: string } | { issue: number } | { pull: number } | { comment: number } | { review: { number: number; id: number } },
  ): Record<string, unknown>;
}

export type CollaboratorPermission = 'admin' | 'write' | 'read';

/** GitHub's answer when a client writes too fast. */
export function secondaryRateLimit(retryAfterSeconds = 0): InjectedResponse {
  return {
    status: 403,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: {
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
    },
  };
}

/** GitHub's answer when the hourly quota is spent, until `resetAt`. */
export function primaryRateLimit(resetAt: Date): InjectedResponse {
  return {
    status: 403,
    headers: {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.ceil(resetAt.getTime() / 1000)),
    },
    body: { message: 'API rate limit exceeded for installation.' },
  };
}

const HTML_BASE = 'https://github.com';
/** The sections GitHub's branch protection PUT must name, each null to leave it off. */
const PROTECTION_FIELDS = ['required_status_checks', 'enforce_admins', 'required_pull_request_reviews', 'restrictions'] as const;
const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;
const MAX_STATUS_DESCRIPTION = 140;
const COMMIT_STATES: ReadonlySet<string> = new Set(['error', 'failure', 'pending', 'success']);
const REVIEW_STATES: ReadonlySet<string> = new Set(['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED', 'PENDING']);
const FILE_STATUSES: ReadonlySet<string> = new Set(['added', 'removed', 'modified', 'renamed', 'copied', 'changed', 'unchanged']);
/** GitHub's search answers at most this many results, whatever the paging. */
const SEARCH_CAP = 1000;
const MERGE_METHODS = ['merge', 'squash', 'rebase'] as const;
type MergeMethodName = (typeof MERGE_METHODS)[number];
const METHOD_NOT_ALLOWED: Record<MergeMethodName, string> = {
  merge: 'Merge commits are not allowed on this repository.',
  squash: 'Squash merges are not allowed on this repository.',
  rebase: 'Rebase merges are not allowed on this repository.',
};
/** GitHub's 405 messages when a merge is refused, by what stands in the way. */
const NOT_MERGEABLE = 'Pull Request is not mergeable';
const MERGE_BLOCKED: Record<'blocked' | 'behind' | 'draft', string> = {
  blocked: 'At least 1 approving review is required by reviewers with write access.',
  behind: 'Head branch is not up to date with the base branch.',
  draft: 'Pull Request is still a draft',
};
const HEAD_MODIFIED = 'Head branch was modified. Review and try the merge again.';

interface LabelState {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

interface FileChange {
  filename: string;
  status: string;
  additions: number;
  deletions: number;
  previousFilename?: string;
}

interface ReviewState {
  id: number;
  user: string;
  state: Review['state'];
  body: string;
  submittedAt: string;
}

interface PullState {
  headSha: string;
  headRef: string;
  baseRef: string;
  /** The commit of the base branch the head was made on. */
  baseSha: string;
  draft: boolean;
  forced: ForcedMergeability | undefined;
  /** The branch moved since mergeability was last read (lazyMergeability): the next read says unknown. */
  mergeabilityStale: boolean;
  merged: boolean;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  /** The base branch's head when the PR closed: a closed PR's base no longer follows the branch. */
  closedBaseSha: string | null;
  files: FileChange[];
  /** Oldest first; the last one's SHA is headSha. */
  commits: PullCommitState[];
  requestedReviewers: string[];
  /** "org/slug". */
  requestedTeams: string[];
  reviews: ReviewState[];
}

interface IssueState {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: string | null;
  author: string;
  authorAssociation: string | undefined;
  labels: string[];
  assignees: string[];
  milestone: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  pull: PullState | undefined;
}

interface CheckRunState {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  detailsUrl: string | null;
  startedAt: string;
  completedAt: string | null;
}

interface CommentState {
  id: number;
  repoKey: string;
  number: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}

interface StatusState {
  id: number;
  state: CommitState;
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: string;
  createdAt: string;
}

interface RepoState {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  /** Lower-cased name → label: GitHub matches label names without regard to case. */
  labels: Map<string, LabelState>;
  collaborators: Set<string>;
  /** Lower-cased collaborator → GitHub's `permission` for them. */
  permissions: Map<string, CollaboratorPermission>;
  /** ref → path → text. */
  files: Map<string, Map<string, string>>;
  issues: Map<number, IssueState>;
  statuses: Map<string, StatusState[]>;
  archived: boolean;
  mergeMethods: Record<MergeMethodName, boolean>;
  git: CommitGraph;
  /** Commit SHA → its check runs, oldest first. */
  checkRuns: Map<string, CheckRunState[]>;
  /** Number → milestone, as made by addMilestone. */
  milestones: Map<number, { number: number; title: string; state: 'open' | 'closed' }>;
  /** Branch → its protection as last PUT (or seeded); absent: unprotected. */
  protection: Map<string, BranchProtectionSettings>;
}

interface Incoming {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** An `application/x-www-form-urlencoded` body; empty for any other. */
  form: URLSearchParams;
  /** The login the credentials act as; empty on the web routes, which take none. */
  actor: string;
  host: string;
  accept: string;
}

interface Reply {
  status: number;
  body?: unknown;
  /** A body sent as it is (with the content-type in `headers`) rather than as JSON. */
  text?: string;
  headers?: Record<string, string>;
}

/** A GitHub error answer, thrown from deep inside a handler. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: unknown[],
  ) {
    super(message);
  }
}

const notFound = (message = 'Not Found') => new Refusal(404, message);
const invalid = (message: string) => new Refusal(422, 'Validation Failed', [{ message }]);

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  /** Parameter names in template order. */
  names: string[];
  handle: (request: Incoming, param: Param) => Reply;
  /** On GitHub's web host (the OAuth flow): no API credentials asked for. */
  web?: boolean;
}

/** A path parameter by its name in the route template, percent-decoded. */
type Param = (name: string) => string;

/** Parameters that may hold slashes sent unencoded: a file's path, a git ref, a branch name. */
const SPANNING_PARAMETERS: ReadonlySet<string> = new Set(['path', 'ref', 'branch']);

function compileRoute(method: string, template: string, handle: Route['handle']): Route {
  // These parameters span segments; every other parameter is one segment.
  const names: string[] = [];
  const source = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return SPANNING_PARAMETERS.has(name) ? '(.+)' : '([^/]+)';
  });
  return { method, template, pattern: new RegExp(`^${source}/?$`), names, handle };
}

function lower(text: string): string {
  return text.toLowerCase();
}

interface PullCommitState {
  sha: string;
  message: string;
  parents: string[];
}

/**
 * A PR's commits with SHAs filled in; the last is the head, whatever SHA it was seeded with. Each
 * commit's parent is the one before it (the first one's, `baseSha`) unless it was seeded with its own.
 */
function commitList(seed: string, commits: readonly SeedCommit[], headSha: string, baseSha: string): PullCommitState[] {
  const listed: PullCommitState[] = [];
  commits.forEach((commit, index) => {
    listed.push({
      sha: index === commits.length - 1 ? headSha : (commit.sha ?? sha1(`${seed}:commit ${index}`)),
      message: commit.message,
      parents: commit.parents ?? [listed.at(-1)?.sha ?? baseSha],
    });
  });
  return listed;
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function textOf(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  return value;
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw invalid(`${field} must be an array of strings`);
  }
  return value as string[];
}

/** GitHub refuses a comment longer than 65,536 characters. */
function commentBodyOf(value: unknown): string {
  const body = textOf(value, 'body');
  if (body.length > 65_536) throw invalid('Body is too long (maximum is 65536 characters)');
  return body;
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object');
  return body as Record<string, unknown>;
}

/** The fake implements some fields of a write; a test relying on another should hear about it. */
function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unsupported = Object.keys(body).filter((field) => !allowed.includes(field));
  if (unsupported.length > 0) {
    throw invalid(`the fake GitHub does not implement the field(s) ${unsupported.join(', ')} here`);
  }
}


export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const botLogin = options.botLogin ?? 'cutwater-bot';
  const appSlug = options.appSlug ?? 'cutwater';
  const appId = options.appId ?? 1;
  const appBot = `${appSlug}[bot]`;
  const clock = options.now ?? (() => new Date());
  // GitHub's timestamps have whole seconds.
  const timestamp = () => clock().toISOString().replace(/\.\d{3}Z$/, 'Z');

  const repos = new Map<string, RepoState>();
  const orgMembers = new Map<string, Set<string>>();
  const teamMembers = new Map<string, Set<string>>();
  /** Team ID → lower-cased "org/slug", for the legacy `/teams/{team_id}` routes. */
  const teamIds = new Map<number, string>();
  /** Lower-cased logins whose status says busy. */
  const busyUsers = new Set<string>();
  /** Lower-cased repo full name → team slug → permission. */
  const repoTeams = new Map<string, Map<string, string>>();
  /** Lower-cased org → installed apps. */
  const appInstallations = new Map<string, { appSlug: string; contents: string }[]>();
  const comments = new Map<number, CommentState>();
  /** "repo#number" or "repo comment id" → "user:content", each once, as GitHub keeps one of each per person. */
  const reactions = new Map<string, string[]>();
  const REACTION_CONTENTS: ReadonlySet<string> = new Set(['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes']);
  function react(key: string, actor: string, content: unknown): number {
    if (typeof content !== 'string' || !REACTION_CONTENTS.has(content)) throw invalid(`content must be one of ${[...REACTION_CONTENTS].join(', ')}`);
    const list = reactions.get(key) ?? [];
    const reaction = `${actor}:${content}`;
    if (list.includes(reaction)) return 200;
    reactions.set(key, [...list, reaction]);
    return 201;
  }
  const installationTokens = new Set<string>();
  const searchCounts = new Map<string, number>();
  /** "owner/name#number" of issues search does not find yet (leaveOutOfSearch). */
  const unindexed = new Set<string>();
  const injected: { method: string; pattern: RegExp; response: InjectedResponse; remaining: number }[] = [];
  /** Requests to carry out and then answer with an error instead (loseNextAnswer). */
  const lostAnswers: { method: string; pattern: RegExp; status: number }[] = [];
  const recordedMerges: RecordedMerge[] = [];
  const lazyMergeability = options.lazyMergeability ?? false;
  const stalls: { pattern: RegExp; held: (() => void)[] }[] = [];
  const userIds = new Map<string, number>();
  /** User tokens from the OAuth flow → the login each acts as. */
  const userTokens = new Map<string, string>();
  /** Unexchanged OAuth codes; GitHub's are single-use and bound to the redirect URI. */
  const oauthCodes = new Map<string, { login: string; redirectUri: string }>();
  const oauth: FakeOAuth = {
    clientId: options.oauthClientId ?? 'fake-oauth-client',
    clientSecret: options.oauthClientSecret ?? 'fake-oauth-secret',
    nextLogin: undefined,
    issuedTokens: userTokens,
  };
  /** Lower-cased login → the spelling it was seeded with, which is how GitHub answers. */
  const knownLogins = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  /** Per credential and rate-limit resource: what is left of the window. */
  const rateLimits = new Map<string, { limit: number; remaining: number }>();
  let defaultRateLimit = { limit: 5000, remaining: 5000 };
  // One window for the fake's lifetime; an hour, as GitHub's.
  const rateLimitReset = Math.ceil(clock().getTime() / 1000) + 3600;
  const noStorePaths: RegExp[] = [];
  let writeDelayMs = options.writeDelayMs ?? 0;
  let secondaryLimits = options.secondaryLimits;
  /** Per credential: when each content write it was let through arrived (ms), oldest first. */
  const writeTimes = new Map<string, number[]>();
  const writesInFlight = new Map<string, number>();
  const counters: FakeGitHubCounters = { writes: 0, secondaryLimited: 0, peakConcurrentWrites: 0 };
  let nextId = 1;
  let apiBase = '';
  /** Lower-cased "owner/repo" → tag → SHA. */
  const tags = new Map<string, Map<string, string>>();
  /** Pinned issues in pinning order; GitHub pins at most three per repository. */
  const pinned: IssueState[] = [];
  const transferLog: { from: string; to: string }[] = [];
  /** `owner/repo#n` (lower-cased) → the patch that PR's patch media type answers. */
  const pullPatches = new Map<string, string>();
  /** `owner/repo#n` → the owner of the head branch, for PRs opened from a fork through the API. */
  const pullHeadOwners = new Map<string, string>();
  /** Lower-cased repository → the PRs opened through the API, oldest first. */
  const openedPulls = new Map<string, { number: number; title: string; body: string; head: string; base: string; author: string }[]>();
  /** Every issue's timeline events (labels only), oldest first. */
  const issueEvents: { id: number; repoKey: string; number: number; event: 'labeled' | 'unlabeled'; label: string; actor: string; createdAt: string }[] = [];
  const reviewCommentList: {
    id: number;
    repoKey: string;
    number: number;
    user: string;
    path: string;
    body: string;
    position: number | null;
    createdAt: string;
  }[] = [];
  function recordLabelEvent(repo: RepoState, issue: IssueState, event: 'labeled' | 'unlabeled', label: string, actor: string): void {
    issueEvents.push({ id: nextId++, repoKey: lower(repo.fullName), number: issue.number, event, label, actor, createdAt: timestamp() });
  }

  const know = (login: string) => {
    if (!knownLogins.has(lower(login))) knownLogins.set(lower(login), login);
    return login;
  };
  const canonical = (login: string) => knownLogins.get(lower(login)) ?? login;

  // ---- state -----------------------------------------------------------------------------------

  function splitName(fullName: string): [string, string] {
    const [owner, name, ...rest] = fullName.split('/');
    if (!owner || !name || rest.length > 0) throw new Error(`test bug: "${fullName}" is not owner/name`);
    return [owner, name];
  }

  function ensureRepo(fullName: string, defaultBranch?: string): RepoState {
    const existing = repos.get(lower(fullName));
    if (existing) {
      if (defaultBranch) {
        existing.defaultBranch = defaultBranch;
        ensureBranch(existing, defaultBranch);
      }
      return existing;
    }
    const [owner, name] = splitName(fullName);
    const repo: RepoState = {
      id: nextId++,
      owner,
      name,
      fullName,
      defaultBranch: defaultBranch ?? 'main',
      labels: new Map(),
      collaborators: new Set(),
      permissions: new Map(),
      files: new Map(),
      issues: new Map(),
      statuses: new Map(),
      archived: false,
      mergeMethods: { merge: true, squash: true, rebase: true },
      git: new CommitGraph(),
      checkRuns: new Map(),
      milestones: new Map(),
      protection: new Map(),
    };
    repos.set(lower(fullName), repo);
    ensureBranch(repo, repo.defaultBranch);
    return repo;
  }

  /** The branch's head, the branch made (at a root commit of its own) on first mention. */
  function ensureBranch(repo: RepoState, branch: string): string {
    const head = repo.git.branch(branch);
    if (head !== undefined) return head;
    const root = sha1(`${repo.fullName}:${branch}`);
    repo.git.add(root, [], []);
    repo.git.setBranch(branch, root);
    return root;
  }

  /** Moves a branch to a new commit; with lazyMergeability, its open PRs' mergeability goes stale. */
  function moveBranch(repo: RepoState, branch: string, sha: string): void {
    repo.git.setBranch(branch, sha);
    if (!lazyMergeability) return;
    for (const issue of repo.issues.values()) {
      if (issue.state === 'open' && issue.pull?.baseRef === branch) issue.pull.mergeabilityStale = true;
    }
  }

  /** What GitHub says of an open PR's mergeability now: the conflict model, under what a test forced. */
  function mergeability(repo: RepoState, issue: IssueState, pull: PullState): { mergeable: boolean | null; state: MergeableState } {
    if (issue.state !== 'open' || pull.forced === 'unknown') return { mergeable: null, state: 'unknown' };
    const baseHead = ensureBranch(repo, pull.baseRef);
    if (pull.forced === 'conflicting' || repo.git.conflicts(baseHead, pull.headSha)) return { mergeable: false, state: 'dirty' };
    if (pull.draft) return { mergeable: true, state: 'draft' };
    return { mergeable: true, state: pull.forced ?? 'clean' };
  }

  function filenames(files: readonly FileChange[]): string[] {
    return files.flatMap((file) => (file.previousFilename === undefined ? [file.filename] : [file.filename, file.previousFilename]));
  }

  function fileChanges(files: readonly SeedFile[]): FileChange[] {
    return files.map((file): FileChange => {
      const status = file.status ?? 'modified';
      if (!FILE_STATUSES.has(status)) throw new Error(`test bug: "${status}" is not a GitHub file status`);
      const change: FileChange = {
        filename: file.filename,
        status,
        additions: file.additions ?? 0,
        deletions: file.deletions ?? 0,
      };
      if (file.previousFilename !== undefined) change.previousFilename = file.previousFilename;
      return change;
    });
  }

  /** A branch's head, or the commit a SHA names; undefined when neither. */
  function commitOf(repo: RepoState, ref: string): string | undefined {
    return repo.git.branch(ref) ?? (repo.git.has(ref) ? ref : undefined);
  }

  function seededIssue(fullName: string, number: number): IssueState {
    const issue = repos.get(lower(fullName))?.issues.get(number);
    if (!issue) throw new Error(`test bug: ${fullName}#${number} was never added`);
    return issue;
  }

  function seededPull(fullName: string, number: number): PullState {
    const pull = seededIssue(fullName, number).pull;
    if (!pull) throw new Error(`test bug: ${fullName}#${number} is an issue, not a pull request`);
    return pull;
  }

  /** The label as the repository spells it, created (as GitHub does) on first use. */
  function repoLabel(repo: RepoState, name: string): LabelState {
    const existing = repo.labels.get(lower(name));
    if (existing) return existing;
    const label: LabelState = { id: nextId++, name, color: 'ededed', description: null };
    repo.labels.set(lower(name), label);
    return label;
  }

  function isOrgMember(org: string, login: string): boolean {
    return orgMembers.get(lower(org))?.has(lower(login)) ?? false;
  }

  /** Who GitHub lets be assigned or asked for review: people with access to the repository. */
  function hasAccess(repo: RepoState, login: string): boolean {
    return repo.collaborators.has(lower(login)) || isOrgMember(repo.owner, login) || lower(repo.owner) === lower(login);
  }

  function association(repo: RepoState, login: string): string {
    if (lower(repo.owner) === lower(login)) return 'OWNER';
    if (isOrgMember(repo.owner, login)) return 'MEMBER';
    if (repo.collaborators.has(lower(login))) return 'COLLABORATOR';
    return 'NONE';
  }

  function addIssueState(
    fullName: string,
    seed: { number: number; author: string; title?: string; body?: string; labels?: string[]; milestone?: string },
    pull: PullState | undefined,
    authorAssociation?: string,
  ): void {
    const repo = ensureRepo(fullName);
    if (repo.issues.has(seed.number)) throw new Error(`test bug: ${fullName}#${seed.number} was added twice`);
    const now = timestamp();
    repo.issues.set(seed.number, {
      id: nextId++,
      number: seed.number,
      title: seed.title ?? `${pull ? 'Pull request' : 'Issue'} ${seed.number}`,
      body: seed.body ?? null,
      state: 'open',
      stateReason: null,
      author: know(seed.author),
      authorAssociation,
      labels: [...new Set((seed.labels ?? []).map((name) => repoLabel(repo, name).name))],
      assignees: [],
      milestone: seed.milestone ?? null,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      pull,
    });
  }

  function latestStatuses(repo: RepoState, sha: string): StatusState[] {
    const latest = new Map<string, StatusState>();
    for (const status of repo.statuses.get(sha) ?? []) latest.set(status.context, status);
    return [...latest.values()];
  }

  // ---- GitHub's JSON ---------------------------------------------------------------------------

  function userJson(login: string) {
    let id = userIds.get(lower(login));
    if (id === undefined) {
      id = nextId++;
      userIds.set(lower(login), id);
    }
    return {
      login,
      id,
      node_id: `U_${id}`,
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
      site_admin: false,
      url: `${apiBase}/users/${encodeURIComponent(login)}`,
      html_url: `${HTML_BASE}/${login}`,
    };
  }

  function repoJson(repo: RepoState) {
    return {
      id: repo.id,
      node_id: `R_${repo.id}`,
      name: repo.name,
      full_name: repo.fullName,
      owner: userJson(repo.owner),
      private: false,
      default_branch: repo.defaultBranch,
      archived: repo.archived,
      allow_merge_commit: repo.mergeMethods.merge,
      allow_squash_merge: repo.mergeMethods.squash,
      allow_rebase_merge: repo.mergeMethods.rebase,
      html_url: `${HTML_BASE}/${repo.fullName}`,
      url: `${apiBase}/repos/${repo.fullName}`,
    };
  }

  /** A branch's protection as GitHub answers it: sections as objects, people and teams in full. */
  function protectionJson(repo: RepoState, branch: string, settings: BranchProtectionSettings) {
    const url = `${apiBase}/repos/${repo.fullName}/branches/${branch}/protection`;
    const users = (logins: readonly string[]) => logins.map((login) => userJson(login));
    const teams = (slugs: readonly string[]) => slugs.map((slug) => ({ slug, name: slug }));
    const reviews = settings.required_pull_request_reviews;
    return {
      url,
      ...(settings.required_status_checks
        ? { required_status_checks: { url: `${url}/required_status_checks`, strict: settings.required_status_checks.strict, contexts: settings.required_status_checks.contexts, checks: [] } }
        : {}),
      enforce_admins: { url: `${url}/enforce_admins`, enabled: settings.enforce_admins },
      required_signatures: { url: `${url}/required_signatures`, enabled: settings.required_signatures === true },
      ...(reviews
        ? {
            required_pull_request_reviews: {
              url: `${url}/required_pull_request_reviews`,
              dismiss_stale_reviews: reviews.dismiss_stale_reviews,
              require_code_owner_reviews: reviews.require_code_owner_reviews,
              required_approving_review_count: reviews.required_approving_review_count,
              ...(reviews.dismissal_restrictions
                ? { dismissal_restrictions: { users: users(reviews.dismissal_restrictions.users), teams: teams(reviews.dismissal_restrictions.teams) } }
                : {}),
              ...(reviews.bypass_pull_request_allowances
                ? {
                    bypass_pull_request_allowances: {
                      users: users(reviews.bypass_pull_request_allowances.users),
                      teams: teams(reviews.bypass_pull_request_allowances.teams),
                    },
                  }
                : {}),
            },
          }
        : {}),
      ...(settings.restrictions
        ? {
            restrictions: {
              url: `${url}/restrictions`,
              users: users(settings.restrictions.users),
              teams: teams(settings.restrictions.teams),
              apps: settings.restrictions.apps.map((slug) => ({ slug, name: slug })),
            },
          }
        : {}),
      required_linear_history: { enabled: settings.required_linear_history },
      allow_force_pushes: { enabled: settings.allow_force_pushes },
      allow_deletions: { enabled: settings.allow_deletions },
    };
  }

  function milestoneJson(repo: RepoState, title: string | null) {
    if (title === null) return null;
    const made = [...repo.milestones.values()].find((milestone) => milestone.title === title);
    if (made) return { id: made.number + 1000, number: made.number, title, state: made.state, url: `${apiBase}/repos/${repo.fullName}/milestones/${made.number}` };
    const id = sha1(`${repo.fullName}:milestone:${title}`).slice(0, 6);
    return { id: parseInt(id, 16), number: parseInt(id, 16) % 1000, title, state: 'open', url: `${apiBase}/repos/${repo.fullName}/milestones/${title}` };
  }

  function labelJson(repo: RepoState, label: LabelState) {
    return {
      id: label.id,
      node_id: `LA_${label.id}`,
      url: `${apiBase}/repos/${repo.fullName}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      color: label.color,
      description: label.description,
      default: false,
    };
  }

  function issueLabelsJson(repo: RepoState, issue: IssueState) {
    return issue.labels.map((name) => labelJson(repo, repoLabel(repo, name)));
  }

  function htmlUrl(repo: RepoState, issue: IssueState): string {
    return `${HTML_BASE}/${repo.fullName}/${issue.pull ? 'pull' : 'issues'}/${issue.number}`;
  }

  function issueJson(repo: RepoState, issue: IssueState) {
    const apiUrl = `${apiBase}/repos/${repo.fullName}/issues/${issue.number}`;
    const commentCount = [...comments.values()].filter(
      (comment) => comment.repoKey === lower(repo.fullName) && comment.number === issue.number,
    ).length;
    return {
      id: issue.id,
      node_id: `I_${issue.id}`,
      url: apiUrl,
      repository_url: `${apiBase}/repos/${repo.fullName}`,
      html_url: htmlUrl(repo, issue),
      number: issue.number,
      state: issue.state,
      state_reason: issue.stateReason ?? (issue.state === 'closed' ? 'completed' : null),
      title: issue.title,
      body: issue.body,
      user: userJson(issue.author),
      labels: issueLabelsJson(repo, issue),
      assignee: issue.assignees[0] === undefined ? null : userJson(issue.assignees[0]),
      assignees: issue.assignees.map(userJson),
      milestone: milestoneJson(repo, issue.milestone),
      comments: commentCount,
      locked: false,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      author_association: issue.authorAssociation ?? association(repo, issue.author),
      ...(issue.pull
        ? {
            pull_request: {
              url: `${apiBase}/repos/${repo.fullName}/pulls/${issue.number}`,
              html_url: htmlUrl(repo, issue),
              diff_url: `${htmlUrl(repo, issue)}.diff`,
              patch_url: `${htmlUrl(repo, issue)}.patch`,
              merged_at: issue.pull.mergedAt,
            },
            draft: issue.pull.draft,
          }
        : {}),
    };
  }

  function pullJson(repo: RepoState, issue: IssueState, pull: PullState, computed = mergeability(repo, issue, pull)) {
    const additions = pull.files.reduce((sum, file) => sum + file.additions, 0);
    const deletions = pull.files.reduce((sum, file) => sum + file.deletions, 0);
    const author = userJson(issue.author);
    return {
      id: issue.id,
      node_id: `PR_${issue.id}`,
      url: `${apiBase}/repos/${repo.fullName}/pulls/${issue.number}`,
      html_url: htmlUrl(repo, issue),
      issue_url: `${apiBase}/repos/${repo.fullName}/issues/${issue.number}`,
      number: issue.number,
      state: issue.state,
      locked: false,
      title: issue.title,
      body: issue.body,
      user: author,
      labels: issueLabelsJson(repo, issue),
      assignee: issue.assignees[0] === undefined ? null : userJson(issue.assignees[0]),
      assignees: issue.assignees.map(userJson),
      requested_reviewers: pull.requestedReviewers.map(userJson),
      requested_teams: pull.requestedTeams.map((team) => {
        const slug = team.slice(team.indexOf('/') + 1);
        return { id: nextId++, slug, name: slug, url: `${apiBase}/orgs/${repo.owner}/teams/${slug}` };
      }),
      head: {
        label: `${issue.author}:${pull.headRef}`,
        ref: pull.headRef,
        sha: pull.headSha,
        user: author,
        repo: repoJson(repo),
      },
      base: {
        label: `${repo.owner}:${pull.baseRef}`,
        ref: pull.baseRef,
        sha: pull.closedBaseSha ?? ensureBranch(repo, pull.baseRef),
        user: userJson(repo.owner),
        repo: repoJson(repo),
      },
      draft: pull.draft,
      merged: pull.merged,
      mergeable: computed.mergeable,
      mergeable_state: computed.state,
      milestone: milestoneJson(repo, issue.milestone),
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergeCommitSha,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      author_association: issue.authorAssociation ?? association(repo, issue.author),
      additions,
      deletions,
      changed_files: pull.files.length,
      commits: 1,
      comments: 0,
      review_comments: 0,
    };
  }

  function commentJson(repo: RepoState, comment: CommentState) {
    const issue = repo.issues.get(comment.number);
    const issueHtml = issue ? htmlUrl(repo, issue) : `${HTML_BASE}/${repo.fullName}/issues/${comment.number}`;
    return {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url: `${apiBase}/repos/${repo.fullName}/issues/comments/${comment.id}`,
      html_url: `${issueHtml}#issuecomment-${comment.id}`,
      issue_url: `${apiBase}/repos/${repo.fullName}/issues/${comment.number}`,
      body: comment.body,
      user: userJson(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      author_association: association(repo, comment.user),
    };
  }

  function reviewJson(repo: RepoState, issue: IssueState, pull: PullState, review: ReviewState) {
    return {
      id: review.id,
      node_id: `PRR_${review.id}`,
      user: userJson(review.user),
      body: review.body,
      state: review.state,
      html_url: `${htmlUrl(repo, issue)}#pullrequestreview-${review.id}`,
      pull_request_url: `${apiBase}/repos/${repo.fullName}/pulls/${issue.number}`,
      commit_id: pull.headSha,
      author_association: association(repo, review.user),
      ...(review.state === 'PENDING' ? {} : { submitted_at: review.submittedAt }),
    };
  }

  function statusJson(repo: RepoState, sha: string, status: StatusState) {
    return {
      id: status.id,
      node_id: `SC_${status.id}`,
      url: `${apiBase}/repos/${repo.fullName}/statuses/${sha}`,
      state: status.state,
      description: status.description,
      target_url: status.targetUrl,
      context: status.context,
      creator: userJson(status.creator),
      created_at: status.createdAt,
      updated_at: status.createdAt,
    };
  }

  /** A list answer, paged as GitHub pages: 30 by default, at most 100, with a Link header. */
  function paged(request: Incoming, items: unknown[]): Reply {
    const { first, count, headers } = pageOf(request, items.length);
    return { status: 200, body: items.slice(first, first + count), headers };
  }

  function pageOf(request: Incoming, total: number) {
    const perPage = Math.min(Math.max(Number(request.query.get('per_page')) || DEFAULT_PER_PAGE, 1), MAX_PER_PAGE);
    const page = Math.max(Number(request.query.get('page')) || 1, 1);
    const lastPage = Math.max(Math.ceil(total / perPage), 1);
    const link = (target: number, rel: string) => {
      const query = new URLSearchParams(request.query);
      query.set('page', String(target));
      return `<http://${request.host}${request.path}?${query.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
    if (page < lastPage) links.push(link(page + 1, 'next'), link(lastPage, 'last'));
    const headers: Record<string, string> = links.length > 0 ? { link: links.join(', ') } : {};
    return { first: (page - 1) * perPage, count: perPage, headers };
  }

  // ---- routes ----------------------------------------------------------------------------------

  function repoAt(param: Param): RepoState {
    const repo = repos.get(lower(`${param('owner')}/${param('repo')}`));
    if (!repo) throw notFound();
    return repo;
  }

  function issueAt(param: Param, numberParam = 'issue_number'): [RepoState, IssueState] {
    const repo = repoAt(param);
    const issue = repo.issues.get(Number(param(numberParam)));
    if (!issue) throw notFound();
    return [repo, issue];
  }

  function pullAt(param: Param): [RepoState, IssueState, PullState] {
    const [repo, issue] = issueAt(param, 'pull_number');
    if (!issue.pull) throw notFound();
    return [repo, issue, issue.pull];
  }

  function commentAt(param: Param): [RepoState, CommentState] {
    const repo = repoAt(param);
    const comment = comments.get(Number(param('comment_id')));
    if (!comment || comment.repoKey !== lower(repo.fullName)) throw notFound();
    return [repo, comment];
  }

  function touch(issue: IssueState): void {
    issue.updatedAt = timestamp();
  }

  function setState(issue: IssueState, value: unknown): void {
    if (value !== 'open' && value !== 'closed') throw invalid('state must be "open" or "closed"');
    if (issue.state !== value) issue.closedAt = value === 'closed' ? timestamp() : null;
    issue.state = value;
  }

  function applyIssueEdits(repo: RepoState, issue: IssueState, body: Record<string, unknown>): void {
    onlyFields(body, ['title', 'body', 'state', 'state_reason', 'milestone']);
    if (body.title !== undefined) issue.title = textOf(body.title, 'title');
    if (body.body !== undefined) issue.body = body.body === null ? null : textOf(body.body, 'body');
    if (body.state !== undefined) setState(issue, body.state);
    if (body.milestone !== undefined) {
      if (body.milestone === null) issue.milestone = null;
      else {
        const milestone = typeof body.milestone === 'number' ? repo.milestones.get(body.milestone) : undefined;
        if (!milestone) throw invalid('milestone must be the number of one of the repository\'s milestones, or null');
        issue.milestone = milestone.title;
      }
    }
    if (body.state_reason !== undefined) {
      const reason = body.state_reason === null ? null : textOf(body.state_reason, 'state_reason');
      if (reason !== null && !['completed', 'not_planned', 'reopened'].includes(reason)) {
        throw invalid('state_reason must be one of completed, not_planned, reopened');
      }
      issue.stateReason = reason;
    } else if (body.state !== undefined) {
      issue.stateReason = null;
    }
    touch(issue);
  }

  function searchSubject(repo: RepoState, issue: IssueState): SearchSubject {
    const subject: SearchSubject = {
      owner: repo.owner,
      repo: repo.fullName,
      archived: repo.archived,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      author: issue.author,
      assignees: issue.assignees,
      labels: issue.labels,
      milestone: issue.milestone,
      createdAt: issue.createdAt,
      updatedAt: issue.updatedAt,
    };
    if (issue.pull) {
      subject.pull = {
        merged: issue.pull.merged,
        draft: issue.pull.draft,
        baseRef: issue.pull.baseRef,
        headRef: issue.pull.headRef,
        commitShas: issue.pull.commits.map((commit) => commit.sha),
        reviews: issue.pull.reviews,
      };
    }
    return subject;
  }

  /** The merge GitHub makes for PUT .../merge, or the refusal it answers. */
  function mergePull(request: Incoming, repo: RepoState, issue: IssueState, pull: PullState): Reply {
    const body = request.body === undefined ? {} : objectBody(request.body);
    onlyFields(body, ['sha', 'merge_method', 'commit_title', 'commit_message']);
    const method = body.merge_method === undefined ? 'merge' : textOf(body.merge_method, 'merge_method');
    if (!(MERGE_METHODS as readonly string[]).includes(method)) {
      throw invalid(`merge_method must be one of ${MERGE_METHODS.join(', ')}`);
    }
    const mergeMethod = method as MergeMethodName;
    const commitTitle = body.commit_title === undefined ? undefined : textOf(body.commit_title, 'commit_title');
    const commitMessage = body.commit_message === undefined ? undefined : textOf(body.commit_message, 'commit_message');
    if (issue.state !== 'open') throw new Refusal(405, NOT_MERGEABLE);
    if (body.sha !== undefined && textOf(body.sha, 'sha') !== pull.headSha) throw new Refusal(409, HEAD_MODIFIED);
    if (!repo.mergeMethods[mergeMethod]) throw new Refusal(405, METHOD_NOT_ALLOWED[mergeMethod]);
    // GitHub computes mergeability when asked to merge, whatever it last showed.
    const { state } = mergeability(repo, issue, { ...pull, forced: pull.forced === 'unknown' ? undefined : pull.forced });
    if (state === 'dirty') throw new Refusal(405, NOT_MERGEABLE);
    if (state === 'blocked' || state === 'behind' || state === 'draft') throw new Refusal(405, MERGE_BLOCKED[state]);

    const before = ensureBranch(repo, pull.baseRef);
    const mergeCommitSha = sha1(`${repo.fullName}#${issue.number} ${mergeMethod} onto ${before} (${nextId++})`);
    // A merge commit brings the head's history in; a squash or a rebase copies its changes on top.
    if (mergeMethod === 'merge') repo.git.add(mergeCommitSha, [before, pull.headSha], []);
    else repo.git.add(mergeCommitSha, [before], filenames(pull.files));
    moveBranch(repo, pull.baseRef, mergeCommitSha);
    const now = timestamp();
    pull.merged = true;
    pull.mergedAt = now;
    pull.mergeCommitSha = mergeCommitSha;
    pull.closedBaseSha = before;
    issue.state = 'closed';
    issue.closedAt = now;
    touch(issue);
    const merge: RecordedMerge = {
      repo: repo.fullName,
      number: issue.number,
      sha: pull.headSha,
      mergeMethod,
      baseRef: pull.baseRef,
      baseShaBefore: before,
      mergeCommitSha,
    };
    if (commitTitle !== undefined) merge.commitTitle = commitTitle;
    if (commitMessage !== undefined) merge.commitMessage = commitMessage;
    recordedMerges.push(merge);
    return { status: 200, body: { sha: mergeCommitSha, merged: true, message: 'Pull Request successfully merged' } };
  }

  function refJson(repo: RepoState, branch: string, sha: string) {
    return {
      ref: `refs/heads/${branch}`,
      node_id: `REF_${sha1(`${repo.fullName}:${branch}`).slice(0, 12)}`,
      url: `${apiBase}/repos/${repo.fullName}/git/refs/heads/${branch}`,
      object: { sha, type: 'commit', url: `${apiBase}/repos/${repo.fullName}/git/commits/${sha}` },
    };
  }

  /** A branch from a git ref's name, `refs/heads/x` or `heads/x`; only branches are modelled. */
  function branchOfRef(ref: string): string {
    const match = /^(?:refs\/)?heads\/(.+)$/.exec(ref);
    if (!match?.[1]) throw invalid(`the fake GitHub implements only branch refs (refs/heads/...), not "${ref}"`);
    return match[1];
  }

  function checkRunJson(repo: RepoState, sha: string, run: CheckRunState) {
    return {
      id: run.id,
      node_id: `CR_${run.id}`,
      head_sha: sha,
      external_id: '',
      url: `${apiBase}/repos/${repo.fullName}/check-runs/${run.id}`,
      html_url: `${HTML_BASE}/${repo.fullName}/runs/${run.id}`,
      details_url: run.detailsUrl,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.startedAt,
      completed_at: run.completedAt,
      output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${apiBase}/repos/${repo.fullName}/check-runs/${run.id}/annotations` },
      name: run.name,
      check_suite: { id: run.id },
      app: null,
      pull_requests: [],
    };
  }

  /** GitHub's answer to a failed code exchange: a 200 with an error, as GitHub sends it. */
  function oauthFailure(error: string, description: string): Reply {
    return { status: 200, body: { error, error_description: description, error_uri: 'https://docs.github.com/apps/oauth' } };
  }

  /** OAuth parameters from a JSON body (as octokit sends them) or a form (as other clients do). */
  function oauthParam(request: Incoming, name: string): string {
    const body = request.body;
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      const value = (body as Record<string, unknown>)[name];
      return typeof value === 'string' ? value : '';
    }
    return request.form.get(name) ?? request.query.get(name) ?? '';
  }

  const routes: Route[] = [
    {
      ...compileRoute('GET', '/login/oauth/authorize', (request) => {
        if (request.query.get('client_id') !== oauth.clientId) throw notFound('no OAuth App has this client_id');
        const redirectUri = request.query.get('redirect_uri');
        if (!redirectUri) throw new Refusal(400, 'the fake GitHub needs redirect_uri (it has no registered callback URL)');
        const back = new URL(redirectUri);
        const state = request.query.get('state');
        if (oauth.nextLogin === undefined) {
          back.searchParams.set('error', 'access_denied');
          back.searchParams.set('error_description', 'The user has denied your application access.');
        } else {
          const code = randomBytes(10).toString('hex');
          oauthCodes.set(code, { login: know(oauth.nextLogin), redirectUri });
          back.searchParams.set('code', code);
        }
        if (state !== null) back.searchParams.set('state', state);
        return { status: 302, headers: { location: back.toString() } };
      }),
      web: true,
    },
    {
      ...compileRoute('POST', '/login/oauth/access_token', (request) => {
        const code = oauthParam(request, 'code');
        if (oauthParam(request, 'client_id') !== oauth.clientId || oauthParam(request, 'client_secret') !== oauth.clientSecret) {
          return oauthFailure('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
        }
        const issued = oauthCodes.get(code);
        oauthCodes.delete(code);
        if (!issued) {
          return oauthFailure('bad_verification_code', 'The code passed is incorrect or expired.');
        }
        const redirectUri = oauthParam(request, 'redirect_uri');
        if (redirectUri && redirectUri !== issued.redirectUri) {
          return oauthFailure('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
        }
        const token = `gho_${randomBytes(18).toString('hex')}`;
        userTokens.set(token, issued.login);
        const answer = { access_token: token, token_type: 'bearer', scope: '' };
        if (request.accept.includes('application/json')) return { status: 200, body: answer };
        return {
          status: 200,
          text: new URLSearchParams(answer).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        };
      }),
      web: true,
    },
    compileRoute('GET', '/user', (request) => {
      if (request.actor === appBot) throw new Refusal(403, 'Resource not accessible by integration');
      return { status: 200, body: userJson(request.actor) };
    }),
    compileRoute('GET', '/app', () => ({
      status: 200,
      body: {
        id: appId,
        slug: appSlug,
        node_id: `A_${appId}`,
        name: appSlug,
        owner: userJson(botLogin),
        permissions: {},
        events: [],
        created_at: timestamp(),
        updated_at: timestamp(),
      },
    })),
    compileRoute('POST', '/app/installations/{installation_id}/access_tokens', () => {
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      installationTokens.add(token);
      return {
        status: 201,
        body: {
          token,
          expires_at: new Date(clock().getTime() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          permissions: { issues: 'write', pull_requests: 'write', statuses: 'write', contents: 'read', members: 'read' },
          repository_selection: 'all',
        },
      };
    }),

    compileRoute('GET', '/repos/{owner}/{repo}', (_request, param) => ({ status: 200, body: repoJson(repoAt(param)) })),
    compileRoute('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', (request, param) => {
      const [repo, issue, pull] = pullAt(param);
      if (/application\/vnd\.github(\.v3)?\.patch/.test(request.accept)) {
        const patch = pullPatches.get(`${lower(repo.fullName)}#${issue.number}`);
        if (patch === undefined) throw notFound('no patch was seeded for this pull request');
        return { status: 200, text: patch, headers: { 'content-type': 'text/x-patch; charset=utf-8' } };
      }
      if (pull.mergeabilityStale && issue.state === 'open') {
        // This read starts GitHub's computation; the next one has the answer.
        pull.mergeabilityStale = false;
        return { status: 200, body: pullJson(repo, issue, pull, { mergeable: null, state: 'unknown' }) };
      }
      return { status: 200, body: pullJson(repo, issue, pull) };
    }),
    compileRoute('PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', (request, param) => {
      const [repo, issue, pull] = pullAt(param);
      return mergePull(request, repo, issue, pull);
    }),
    compileRoute('GET', '/orgs/{org}/repos', (request, param) => {
      const org = lower(param('org'));
      const owned = [...repos.values()].filter((repo) => lower(repo.owner) === org).sort((a, b) => a.id - b.id);
      return paged(request, owned.map(repoJson));
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/branches', (request, param) => {
      const repo = repoAt(param);
      const branches = Object.entries(repo.git.branches()).sort(([a], [b]) => a.localeCompare(b));
      return paged(
        request,
        branches.map(([name, sha]) => ({ name, commit: { sha, url: `${apiBase}/repos/${repo.fullName}/commits/${sha}` }, protected: repo.protection.has(name) })),
      );
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/branches/{branch}/protection', (_request, param) => {
      const repo = repoAt(param);
      const branch = param('branch');
      if (repo.git.branch(branch) === undefined) throw notFound('Branch not found');
      const settings = repo.protection.get(branch);
      if (!settings) throw notFound('Branch not protected');
      return { status: 200, body: protectionJson(repo, branch, settings) };
    }),
    compileRoute('PUT', '/repos/{owner}/{repo}/branches/{branch}/protection', (request, param) => {
      const repo = repoAt(param);
      const branch = param('branch');
      if (repo.git.branch(branch) === undefined) throw notFound('Branch not found');
      const body = objectBody(request.body);
      onlyFields(body, [...PROTECTION_FIELDS, 'required_linear_history', 'allow_force_pushes', 'allow_deletions']);
      // GitHub requires these four, null to leave each off.
      const missing = PROTECTION_FIELDS.filter((field) => !(field in body));
      if (missing.length > 0) throw invalid(`${missing.join(', ')} wasn't supplied.`);
      const settings = JSON.parse(JSON.stringify(body)) as BranchProtectionSettings;
      settings.required_linear_history = body.required_linear_history === true;
      settings.allow_force_pushes = body.allow_force_pushes === true;
      settings.allow_deletions = body.allow_deletions === true;
      // The PUT does not speak of signatures (their own endpoint does): they stay as they were.
      settings.required_signatures = repo.protection.get(branch)?.required_signatures === true;
      repo.protection.set(branch, settings);
      return { status: 200, body: protectionJson(repo, branch, settings) };
    }),
    ...(['POST', 'DELETE'] as const).map((method) =>
      compileRoute(method, '/repos/{owner}/{repo}/branches/{branch}/protection/required_signatures', (_request, param) => {
        const repo = repoAt(param);
        const branch = param('branch');
        const settings = repo.protection.get(branch);
        if (!settings) throw notFound('Branch not protected');
        settings.required_signatures = method === 'POST';
        const url = `${apiBase}/repos/${repo.fullName}/branches/${branch}/protection/required_signatures`;
        return method === 'POST' ? { status: 200, body: { url, enabled: true } } : { status: 204 };
      }),
    ),
    compileRoute('DELETE', '/repos/{owner}/{repo}/branches/{branch}/protection', (_request, param) => {
      const repo = repoAt(param);
      const branch = param('branch');
      if (!repo.protection.delete(branch)) throw notFound('Branch not protected');
      return { status: 204 };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/branches/{branch}', (_request, param) => {
      const repo = repoAt(param);
      const branch = param('branch');
      const sha = repo.git.branch(branch);
      if (sha === undefined) throw notFound('Branch not found');
      return {
        status: 200,
        body: {
          name: branch,
          commit: { sha, url: `${apiBase}/repos/${repo.fullName}/commits/${sha}` },
          protected: repo.protection.has(branch),
          _links: { self: `${apiBase}/repos/${repo.fullName}/branches/${branch}`, html: `${HTML_BASE}/${repo.fullName}/tree/${branch}` },
        },
      };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/git/ref/{ref}', (_request, param) => {
      const repo = repoAt(param);
      const branch = /^heads\/(.+)$/.exec(param('ref'))?.[1];
      const sha = branch === undefined ? undefined : repo.git.branch(branch);
      if (branch === undefined || sha === undefined) throw notFound();
      return { status: 200, body: refJson(repo, branch, sha) };
    }),
    compileRoute('POST', '/repos/{owner}/{repo}/git/refs', (request, param) => {
      const repo = repoAt(param);
      const body = objectBody(request.body);
      onlyFields(body, ['ref', 'sha']);
      const ref = textOf(body.ref, 'ref');
      const sha = textOf(body.sha, 'sha');
      if (!/^refs\/[^/]+\/.+/.test(ref)) throw invalid("Reference name must start with 'refs/' and have at least two slashes.");
      const branch = branchOfRef(ref);
      if (repo.git.branch(branch) !== undefined) throw invalid('Reference already exists');
      if (!repo.git.has(sha)) throw invalid('Object does not exist');
      repo.git.setBranch(branch, sha);
      return { status: 201, body: refJson(repo, branch, sha) };
    }),
    compileRoute('DELETE', '/repos/{owner}/{repo}/git/refs/{ref}', (_request, param) => {
      const repo = repoAt(param);
      const branch = branchOfRef(param('ref'));
      if (branch === repo.defaultBranch) throw invalid('Cannot delete the default branch');
      // GitHub answers 422, not 404, for a ref that is not there.
      if (!repo.git.deleteBranch(branch)) throw invalid('Reference does not exist');
      return { status: 204 };
    }),
    compileRoute('POST', '/repos/{owner}/{repo}/merges', (request, param) => {
      const repo = repoAt(param);
      const body = objectBody(request.body);
      onlyFields(body, ['base', 'head', 'commit_message']);
      const base = textOf(body.base, 'base');
      const baseHead = repo.git.branch(base);
      if (baseHead === undefined) throw notFound('Base does not exist');
      const head = commitOf(repo, textOf(body.head, 'head'));
      if (head === undefined) throw notFound('Head does not exist');
      if (repo.git.contains(baseHead, head)) return { status: 204 };
      if (repo.git.conflicts(baseHead, head)) throw new Refusal(409, 'Merge conflict');
      const message = body.commit_message === undefined ? `Merge ${head} into ${base}` : textOf(body.commit_message, 'commit_message');
      const sha = sha1(`${repo.fullName}: merge ${head} into ${baseHead} (${nextId++})`);
      repo.git.add(sha, [baseHead, head], []);
      repo.git.setBranch(base, sha);
      return {
        status: 201,
        body: {
          sha,
          node_id: `C_${sha.slice(0, 12)}`,
          url: `${apiBase}/repos/${repo.fullName}/commits/${sha}`,
          html_url: `${HTML_BASE}/${repo.fullName}/commit/${sha}`,
          commit: { message, author: { name: request.actor, date: timestamp() }, committer: { name: request.actor, date: timestamp() } },
          parents: [baseHead, head].map((parent) => ({ sha: parent, url: `${apiBase}/repos/${repo.fullName}/commits/${parent}` })),
        },
      };
    }),
    compileRoute('PATCH', '/repos/{owner}/{repo}/pulls/{pull_number}', (request, param) => {
      const [repo, issue, pull] = pullAt(param);
      const edits = objectBody(request.body);
      // GitHub sets a PR's milestone through the issues API only.
      if ('milestone' in edits) throw invalid('"milestone" is not a permitted key');
      applyIssueEdits(repo, issue, edits);
      return { status: 200, body: pullJson(repo, issue, pull) };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/files', (request, param) => {
      const [repo, , pull] = pullAt(param);
      const files = pull.files.map((file) => ({
        sha: sha1(`${pull.headSha}:${file.filename}`),
        filename: file.filename,
        status: file.status,
        additions: file.additions,
        deletions: file.deletions,
        changes: file.additions + file.deletions,
        blob_url: `${HTML_BASE}/${repo.fullName}/blob/${pull.headSha}/${file.filename}`,
        raw_url: `${HTML_BASE}/${repo.fullName}/raw/${pull.headSha}/${file.filename}`,
        contents_url: `${apiBase}/repos/${repo.fullName}/contents/${file.filename}?ref=${pull.headSha}`,
        patch: '',
        ...(file.previousFilename === undefined ? {} : { previous_filename: file.previousFilename }),
      }));
      return paged(request, files);
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/commits', (request, param) => {
      const [repo, , pull] = pullAt(param);
      return paged(
        request,
        pull.commits.map((commit) => ({
          sha: commit.sha,
          html_url: `${HTML_BASE}/${repo.fullName}/commit/${commit.sha}`,
          url: `${apiBase}/repos/${repo.fullName}/commits/${commit.sha}`,
          commit: { message: commit.message },
          parents: commit.parents.map((parent) => ({ sha: parent, url: `${apiBase}/repos/${repo.fullName}/commits/${parent}` })),
        })),
      );
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', (request, param) => {
      const [repo, issue, pull] = pullAt(param);
      return paged(
        request,
        pull.reviews.map((review) => reviewJson(repo, issue, pull, review)),
      );
    }),
    compileRoute('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', (request, param) => {
      const [repo, issue, pull] = pullAt(param);
      const body = objectBody(request.body);
      onlyFields(body, ['reviewers', 'team_reviewers']);
      const reviewers = body.reviewers === undefined ? [] : stringList(body.reviewers, 'reviewers');
      const teams = (body.team_reviewers === undefined ? [] : stringList(body.team_reviewers, 'team_reviewers')).map(
        (slug) => `${repo.owner}/${slug}`,
      );
      // GitHub refuses the whole request if any one reviewer cannot be asked.
      if (reviewers.some((login) => lower(login) === lower(issue.author))) {
        throw invalid('Review cannot be requested from pull request author.');
      }
      if (!reviewers.every((login) => hasAccess(repo, login)) || !teams.every((team) => teamMembers.has(lower(team)))) {
        throw invalid(
          `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${repo.fullName} repository.`,
        );
      }
      for (const login of reviewers.map(canonical)) {
        if (!pull.requestedReviewers.some((existing) => lower(existing) === lower(login))) {
          pull.requestedReviewers.push(login);
        }
      }
      for (const team of teams) {
        if (!pull.requestedTeams.some((existing) => lower(existing) === lower(team))) pull.requestedTeams.push(team);
      }
      touch(issue);
      return { status: 201, body: pullJson(repo, issue, pull) };
    }),

    compileRoute('DELETE', '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', (request, param) => {
      const [repo, issue, pull] = pullAt(param);
      const body = objectBody(request.body);
      onlyFields(body, ['reviewers', 'team_reviewers']);
      const withdrawn = new Set((body.reviewers === undefined ? [] : stringList(body.reviewers, 'reviewers')).map(lower));
      pull.requestedReviewers = pull.requestedReviewers.filter((login) => !withdrawn.has(lower(login)));
      const withdrawnTeams = new Set(
        (body.team_reviewers === undefined ? [] : stringList(body.team_reviewers, 'team_reviewers')).map((slug) => lower(`${repo.owner}/${slug}`)),
      );
      pull.requestedTeams = pull.requestedTeams.filter((team) => !withdrawnTeams.has(lower(team)));
      touch(issue);
      return { status: 200, body: pullJson(repo, issue, pull) };
    }),

    compileRoute('GET', '/repos/{owner}/{repo}/issues/{issue_number}', (_request, param) => {
      const [repo, issue] = issueAt(param);
      return { status: 200, body: issueJson(repo, issue) };
    }),
    compileRoute('PATCH', '/repos/{owner}/{repo}/issues/{issue_number}', (request, param) => {
      const [repo, issue] = issueAt(param);
      applyIssueEdits(repo, issue, objectBody(request.body));
      return { status: 200, body: issueJson(repo, issue) };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/issues/{issue_number}/labels', (request, param) => {
      const [repo, issue] = issueAt(param);
      return paged(request, issueLabelsJson(repo, issue));
    }),
    compileRoute('POST', '/repos/{owner}/{repo}/issues/{issue_number}/labels', (request, param) => {
      const [repo, issue] = issueAt(param);
      // GitHub takes `{labels: [...]}` or a bare array, of names or of `{name}` objects.
      const given = Array.isArray(request.body) ? request.body : objectBody(request.body).labels;
      if (!Array.isArray(given)) throw invalid('labels must be an array');
      const names = given.map((label: unknown) => {
        if (typeof label === 'string') return label;
        if (typeof label === 'object' && label !== null && typeof (label as { name?: unknown }).name === 'string') {
          return (label as { name: string }).name;
        }
        throw invalid('each label must be a name or {name}');
      });
      for (const labelName of names) {
        const label = repoLabel(repo, labelName);
        if (issue.labels.includes(label.name)) continue;
        issue.labels.push(label.name);
        recordLabelEvent(repo, issue, 'labeled', label.name, request.actor);
      }
      touch(issue);
      return { status: 200, body: issueLabelsJson(repo, issue) };
    }),
    compileRoute('DELETE', '/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', (request, param) => {
      const [repo, issue] = issueAt(param);
      const index = issue.labels.findIndex((label) => lower(label) === lower(param('name')));
      if (index < 0) throw notFound('Label does not exist');
      const [removed] = issue.labels.splice(index, 1);
      if (removed !== undefined) recordLabelEvent(repo, issue, 'unlabeled', removed, request.actor);
      touch(issue);
      return { status: 200, body: issueLabelsJson(repo, issue) };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/milestones', (request, param) => {
      const repo = repoAt(param);
      const state = request.query.get('state') ?? 'open';
      const milestones = [...repo.milestones.values()].filter((milestone) => state === 'all' || milestone.state === state);
      return paged(
        request,
        milestones.map((milestone) => milestoneJson(repo, milestone.title)),
      );
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/labels', (request, param) => {
      const repo = repoAt(param);
      return paged(
        request,
        [...repo.labels.values()].map((label) => labelJson(repo, label)),
      );
    }),
    compileRoute('POST', '/repos/{owner}/{repo}/issues/{issue_number}/assignees', (request, param) => {
      const [repo, issue] = issueAt(param);
      const body = objectBody(request.body);
      onlyFields(body, ['assignees']);
      // GitHub drops, without a word, anyone who cannot be assigned.
      for (const login of stringList(body.assignees, 'assignees').filter((login) => hasAccess(repo, login))) {
        const spelled = canonical(login);
        if (!issue.assignees.some((existing) => lower(existing) === lower(spelled))) issue.assignees.push(spelled);
      }
      touch(issue);
      return { status: 201, body: issueJson(repo, issue) };
    }),
    compileRoute('DELETE', '/repos/{owner}/{repo}/issues/{issue_number}/assignees', (request, param) => {
      const [repo, issue] = issueAt(param);
      const body = objectBody(request.body);
      onlyFields(body, ['assignees']);
      const leaving = new Set(stringList(body.assignees, 'assignees').map(lower));
      issue.assignees = issue.assignees.filter((login) => !leaving.has(lower(login)));
      touch(issue);
      return { status: 200, body: issueJson(repo, issue) };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', (request, param) => {
      const [repo, issue] = issueAt(param);
      const onIssue = [...comments.values()].filter(
        (comment) => comment.repoKey === lower(repo.fullName) && comment.number === issue.number,
      );
      return paged(
        request,
        onIssue.map((comment) => commentJson(repo, comment)),
      );
    }),
    compileRoute('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', (request, param) => {
      const [repo, issue] = issueAt(param);
      const body = objectBody(request.body);
      onlyFields(body, ['body']);
      const comment = newComment(repo, issue.number, request.actor, commentBodyOf(body.body));
      touch(issue);
      return { status: 201, body: commentJson(repo, comment) };
    }),
    compileRoute('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', (request, param) => {
      const [repo, comment] = commentAt(param);
      const body = objectBody(request.body);
      onlyFields(body, ['body']);
      comment.body = commentBodyOf(body.body);
      comment.updatedAt = timestamp();
      return { status: 200, body: commentJson(repo, comment) };
    }),
    compileRoute('POST', '/repos/{owner}/{repo}/issues/{issue_number}/reactions', (request, param) => {
      const [repo, issue] = issueAt(param);
      const body = objectBody(request.body);
      onlyFields(body, ['content']);
      return { status: react(`${lower(repo.fullName)}#${issue.number}`, request.actor, body.content), body: { content: body.content } };
    }),
    compileRoute('POST', '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', (request, param) => {
      const [repo, comment] = commentAt(param);
      const body = objectBody(request.body);
      onlyFields(body, ['content']);
      return { status: react(`${lower(repo.fullName)} comment ${comment.id}`, request.actor, body.content), body: { content: body.content } };
    }),
    compileRoute('DELETE', '/repos/{owner}/{repo}/issues/comments/{comment_id}', (_request, param) => {
      const [, comment] = commentAt(param);
      comments.delete(comment.id);
      return { status: 204 };
    }),

    compileRoute('POST', '/repos/{owner}/{repo}/statuses/{sha}', (request, param) => {
      const repo = repoAt(param);
      const body = objectBody(request.body);
      onlyFields(body, ['state', 'context', 'description', 'target_url']);
      if (typeof body.state !== 'string' || !COMMIT_STATES.has(body.state)) {
        throw invalid('state must be one of error, failure, pending, success');
      }
      const description = body.description === undefined || body.description === null ? null : textOf(body.description, 'description');
      if (description !== null && [...description].length > MAX_STATUS_DESCRIPTION) {
        throw invalid(`description is too long (maximum is ${MAX_STATUS_DESCRIPTION} characters)`);
      }
      const status: StatusState = {
        id: nextId++,
        state: body.state as CommitState,
        context: body.context === undefined ? 'default' : textOf(body.context, 'context'),
        description,
        targetUrl: body.target_url === undefined || body.target_url === null ? null : textOf(body.target_url, 'target_url'),
        creator: request.actor,
        createdAt: timestamp(),
      };
      const sha = param('sha');
      const list = repo.statuses.get(sha) ?? [];
      list.push(status);
      repo.statuses.set(sha, list);
      return { status: 201, body: statusJson(repo, sha, status) };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/commits/{ref}/check-runs', (request, param) => {
      const repo = repoAt(param);
      const sha = commitOf(repo, param('ref')) ?? param('ref');
      const runs = repo.checkRuns.get(sha) ?? [];
      const filter = request.query.get('filter') ?? 'latest';
      if (filter !== 'latest' && filter !== 'all') throw invalid('filter must be latest or all');
      const listed = filter === 'all' ? runs : [...new Map(runs.map((run) => [run.name, run])).values()];
      const { first, count, headers } = pageOf(request, listed.length);
      return {
        status: 200,
        headers,
        body: { total_count: listed.length, check_runs: listed.slice(first, first + count).map((run) => checkRunJson(repo, sha, run)) },
      };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/commits/{ref}/status', (request, param) => {
      const repo = repoAt(param);
      // A branch's combined status is its head commit's.
      const ref = repo.git.branch(param('ref')) ?? param('ref');
      const latest = latestStatuses(repo, ref);
      // GitHub's rule: any error or failure fails; otherwise no statuses or any pending is pending.
      const state: CommitState = latest.some((status) => status.state === 'error' || status.state === 'failure')
        ? 'failure'
        : latest.length === 0 || latest.some((status) => status.state === 'pending')
          ? 'pending'
          : 'success';
      const { first, count, headers } = pageOf(request, latest.length);
      return {
        status: 200,
        headers,
        body: {
          state,
          sha: ref,
          total_count: latest.length,
          statuses: latest.slice(first, first + count).map((status) => statusJson(repo, ref, status)),
          repository: repoJson(repo),
          commit_url: `${apiBase}/repos/${repo.fullName}/commits/${ref}`,
          url: `${apiBase}/repos/${repo.fullName}/commits/${ref}/status`,
        },
      };
    }),

    compileRoute('GET', '/orgs/{org}/members/{username}', (_request, param) => {
      if (!isOrgMember(param('org'), param('username'))) throw notFound('User does not exist or is not a member of the organization');
      return { status: 204 };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/collaborators/{username}', (_request, param) => {
      const repo = repoAt(param);
      if (!repo.collaborators.has(lower(param('username')))) throw notFound('Not Found');
      return { status: 204 };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/collaborators', (request, param) => {
      const repo = repoAt(param);
      const logins = [...repo.collaborators].sort();
      return paged(
        request,
        logins.map((login) => {
          const permission = repo.permissions.get(login) ?? 'write';
          const push = permission !== 'read';
          return { ...userJson(login), permissions: { admin: permission === 'admin', maintain: permission === 'admin', push, triage: push, pull: true } };
        }),
      );
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/teams', (request, param) => {
      const repo = repoAt(param);
      const teams = [...(repoTeams.get(lower(repo.fullName)) ?? new Map<string, string>())].sort(([a], [b]) => a.localeCompare(b));
      return paged(request, teams.map(([slug, permission]) => ({ slug, name: slug, permission })));
    }),
    compileRoute('GET', '/orgs/{org}/installations', (request, param) => {
      const installed = appInstallations.get(lower(param('org'))) ?? [];
      const { first, count, headers } = pageOf(request, installed.length);
      const installations = installed.slice(first, first + count).map((app, index) => ({
        id: first + index + 1,
        app_slug: app.appSlug,
        permissions: { contents: app.contents, metadata: 'read' },
      }));
      return { status: 200, body: { total_count: installed.length, installations }, headers };
    }),
    compileRoute('GET', '/orgs/{org}/teams/{team_slug}/memberships/{username}', (_request, param) => {
      const [org, slug, login] = [param('org'), param('team_slug'), param('username')];
      if (!teamMembers.get(lower(`${org}/${slug}`))?.has(lower(login))) throw notFound();
      return {
        status: 200,
        body: {
          url: `${apiBase}/orgs/${org}/teams/${slug}/memberships/${login}`,
          role: 'member',
          state: 'active',
        },
      };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/contents/{path}', (request, param) => {
      const repo = repoAt(param);
      const path = param('path').replace(/^\/+|\/+$/g, '');
      const ref = request.query.get('ref') || repo.defaultBranch;
      const view = new Map([...(repo.files.get(repo.defaultBranch) ?? []), ...(repo.files.get(ref) ?? [])]);
      const text = view.get(path);
      if (text !== undefined) {
        const content = Buffer.from(text, 'utf8');
        const fileName = path.split('/').pop() ?? path;
        return {
          status: 200,
          body: {
            type: 'file',
            encoding: 'base64',
            size: content.length,
            name: fileName,
            path,
            // GitHub wraps the base64 at 60 characters.
            content: (content.toString('base64').match(/.{1,60}/g) ?? []).join('\n') + '\n',
            sha: sha1(`blob ${content.length}\0${text}`),
            url: `${apiBase}/repos/${repo.fullName}/contents/${path}?ref=${ref}`,
            html_url: `${HTML_BASE}/${repo.fullName}/blob/${ref}/${path}`,
            download_url: `https://raw.githubusercontent.com/${repo.fullName}/${ref}/${path}`,
          },
        };
      }
      const prefix = `${path}/`;
      const entries = new Map<string, 'file' | 'dir'>();
      for (const filePath of view.keys()) {
        if (!filePath.startsWith(prefix)) continue;
        const [entry, ...deeper] = filePath.slice(prefix.length).split('/');
        if (entry) entries.set(entry, deeper.length > 0 ? 'dir' : 'file');
      }
      if (entries.size === 0) throw notFound();
      return {
        status: 200,
        body: [...entries].map(([entry, type]) => ({ type, name: entry, path: `${path}/${entry}` })),
      };
    }),

    compileRoute('GET', '/repos/{owner}/{repo}/git/trees/{tree_sha}', (request, param) => {
      // The tree of the files visible at a ref, as the contents route sees them; a commit SHA or a
      // branch name, like GitHub. Without ?recursive only the top level is listed.
      const repo = repoAt(param);
      const ref = param('tree_sha');
      const view = new Map([...(repo.files.get(repo.defaultBranch) ?? []), ...(repo.files.get(ref) ?? [])]);
      const recursive = request.query.has('recursive');
      const entries = new Map<string, { type: 'blob' | 'tree'; text?: string }>();
      for (const [filePath, text] of view) {
        const parts = filePath.split('/');
        for (let depth = 1; depth < parts.length && (recursive || depth === 1); depth++) {
          entries.set(parts.slice(0, depth).join('/'), { type: 'tree' });
        }
        if (recursive || parts.length === 1) entries.set(filePath, { type: 'blob', text });
      }
      const tree = [...entries]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([entryPath, entry]) => {
          if (entry.type === 'tree') {
            return { path: entryPath, mode: '040000', type: 'tree', sha: sha1(`tree ${ref}:${entryPath}`) };
          }
          const size = Buffer.byteLength(entry.text ?? '', 'utf8');
          const sha = sha1(`blob ${size}\0${entry.text ?? ''}`);
          return { path: entryPath, mode: '100644', type: 'blob', sha, size, url: `${apiBase}/repos/${repo.fullName}/git/blobs/${sha}` };
        });
      return {
        status: 200,
        body: { sha: sha1(`tree ${ref}`), url: `${apiBase}/repos/${repo.fullName}/git/trees/${ref}`, tree, truncated: false },
      };
    }),

    compileRoute('GET', '/search/issues', (request) => {
      const query = request.query.get('q');
      if (!query) throw invalid('q is required');
      let matches: (subject: SearchSubject) => boolean;
      try {
        matches = compileSearch(query);
      } catch (error) {
        if (error instanceof SearchQueryError) throw invalid(error.message);
        throw error;
      }
      const found: { repo: RepoState; issue: IssueState }[] = [];
      for (const repo of repos.values()) {
        for (const issue of repo.issues.values()) {
          if (unindexed.has(lower(`${repo.fullName}#${issue.number}`))) continue;
          if (matches(searchSubject(repo, issue))) found.push({ repo, issue });
        }
      }
      const sort = request.query.get('sort');
      const ascending = request.query.get('order') === 'asc';
      const key = (issue: IssueState) => (sort === 'created' ? issue.createdAt : sort === 'updated' ? issue.updatedAt : '');
      // Best match, which the fake cannot judge, is newest first.
      found.sort((a, b) => {
        const [left, right] = ascending ? [a.issue, b.issue] : [b.issue, a.issue];
        return key(left) < key(right) ? -1 : key(left) > key(right) ? 1 : left.id - right.id;
      });
      const reachable = found.slice(0, SEARCH_CAP);
      const { first, count, headers } = pageOf(request, reachable.length);
      if (first >= SEARCH_CAP) throw invalid(`Only the first ${SEARCH_CAP} search results are available`);
      return {
        status: 200,
        headers,
        body: {
          total_count: searchCounts.get(query) ?? found.length,
          incomplete_results: false,
          items: reachable.slice(first, first + count).map(({ repo, issue }) => issueJson(repo, issue)),
        },
      };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/tags', (request, param) => {
      const repo = repoAt(param);
      const named = [...(tags.get(lower(repo.fullName)) ?? new Map<string, string>()).entries()].sort(([a], [b]) => b.localeCompare(a));
      return paged(
        request,
        named.map(([name, sha]) => ({ name, commit: { sha, url: `${apiBase}/repos/${repo.fullName}/commits/${sha}` }, node_id: `TAG_${sha.slice(0, 8)}` })),
      );
    }),
    compileRoute('POST', '/graphql', (request) => ({ status: 200, body: graphqlRequest(objectBody(request.body)) })),
    compileRoute('GET', '/repos/{owner}/{repo}/pulls', (request, param) => {
      const repo = repoAt(param);
      const state = request.query.get('state') ?? 'open';
      const head = request.query.get('head');
      const base = request.query.get('base');
      const listed = [...repo.issues.values()].filter((issue): issue is IssueState & { pull: PullState } => {
        if (!issue.pull || (state !== 'all' && issue.state !== state)) return false;
        if (base && issue.pull.baseRef !== base) return false;
        const owner = pullHeadOwners.get(`${lower(repo.fullName)}#${issue.number}`) ?? repo.owner;
        return !head || lower(head) === lower(`${owner}:${issue.pull.headRef}`);
      });
      return paged(
        request,
        listed.map((issue) => pullJson(repo, issue, issue.pull)),
      );
    }),
    compileRoute('POST', '/repos/{owner}/{repo}/pulls', (request, param) => {
      const repo = repoAt(param);
      const body = objectBody(request.body);
      const field = (name: string) => {
        const value = body[name];
        if (typeof value !== 'string' || value === '') throw invalid(`${name} is required`);
        return value;
      };
      const [title, head, base] = [field('title'), field('head'), field('base')];
      const [headOwner, headRef] = head.includes(':') ? (head.split(':', 2) as [string, string]) : [repo.owner, head];
      if (repo.git.branch(base) === undefined) throw invalid(`base ${base} does not exist`);
      const duplicate = [...repo.issues.values()].some(
        (issue) =>
          issue.state === 'open' &&
          issue.pull?.headRef === headRef &&
          issue.pull.baseRef === base &&
          lower(pullHeadOwners.get(`${lower(repo.fullName)}#${issue.number}`) ?? repo.owner) === lower(headOwner),
      );
      if (duplicate) throw invalid(`A pull request already exists for ${headOwner}:${headRef}.`);
      const number = Math.max(0, ...repo.issues.keys()) + 1;
      const baseSha = ensureBranch(repo, base);
      const headSha = sha1(`${repo.fullName}#${number}:opened`);
      repo.git.add(headSha, [baseSha], []);
      const text = typeof body.body === 'string' ? body.body : '';
      addIssueState(
        repo.fullName,
        { number, author: request.actor, title, body: text },
        {
          headSha,
          headRef,
          baseRef: base,
          baseSha,
          draft: body.draft === true,
          forced: undefined,
          mergeabilityStale: false,
          merged: false,
          mergedAt: null,
          mergeCommitSha: null,
          closedBaseSha: null,
          files: [],
          commits: [{ sha: headSha, message: title, parents: [baseSha] }],
          requestedReviewers: [],
          requestedTeams: [],
          reviews: [],
        },
      );
      pullHeadOwners.set(`${lower(repo.fullName)}#${number}`, headOwner);
      const opened = openedPulls.get(lower(repo.fullName)) ?? [];
      opened.push({ number, title, body: text, head, base, author: request.actor });
      openedPulls.set(lower(repo.fullName), opened);
      const issue = repo.issues.get(number)!;
      return { status: 201, body: pullJson(repo, issue, issue.pull!) };
    }),
    compileRoute('POST', '/repos/{owner}/{repo}/forks', (request, param) => {
      const source = repoAt(param);
      // As GitHub: the fork is the credentials' user's, and asking again answers the same fork.
      const fork = ensureRepo(`${request.actor}/${source.name}`, source.defaultBranch);
      return { status: 202, body: { ...repoJson(fork), owner: userJson(fork.owner), name: fork.name } };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/git/commits/{commit_sha}', (_request, param) => {
      const repo = repoAt(param);
      const sha = param('commit_sha');
      const tree = repo.git.tree(sha);
      if (tree === undefined) throw notFound('Not Found');
      return {
        status: 200,
        body: {
          sha,
          node_id: `C_${sha}`,
          url: `${apiBase}/repos/${repo.fullName}/git/commits/${sha}`,
          html_url: `${HTML_BASE}/${repo.fullName}/commit/${sha}`,
          tree: { sha: tree, url: `${apiBase}/repos/${repo.fullName}/git/trees/${tree}` },
          message: '',
          parents: [],
        },
      };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/issues/{issue_number}/events', (request, param) => {
      const [repo, issue] = issueAt(param);
      const events = issueEvents.filter((event) => event.repoKey === lower(repo.fullName) && event.number === issue.number);
      return paged(
        request,
        events.map((event) => ({
          id: event.id,
          node_id: `LE_${event.id}`,
          url: `${apiBase}/repos/${repo.fullName}/issues/events/${event.id}`,
          actor: userJson(event.actor),
          event: event.event,
          commit_id: null,
          commit_url: null,
          created_at: event.createdAt,
          label: { name: event.label, color: repo.labels.get(lower(event.label))?.color ?? 'ededed' },
        })),
      );
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/collaborators/{username}/permission', (_request, param) => {
      const repo = repoAt(param);
      const login = param('username');
      const permission =
        lower(repo.owner) === lower(login) ? 'admin' : (repo.permissions.get(lower(login)) ?? (isOrgMember(repo.owner, login) ? 'read' : 'none'));
      return { status: 200, body: { permission, role_name: permission, user: userJson(canonical(login)) } };
    }),
    compileRoute('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/comments', (request, param) => {
      const [repo, issue, pull] = pullAt(param);
      const onPull = reviewCommentList.filter((comment) => comment.repoKey === lower(repo.fullName) && comment.number === issue.number);
      return paged(
        request,
        onPull.map((comment) => ({
          id: comment.id,
          node_id: `PRRC_${comment.id}`,
          url: `${apiBase}/repos/${repo.fullName}/pulls/comments/${comment.id}`,
          html_url: `${htmlUrl(repo, issue)}#discussion_r${comment.id}`,
          pull_request_url: `${apiBase}/repos/${repo.fullName}/pulls/${issue.number}`,
          diff_hunk: '',
          path: comment.path,
          position: comment.position,
          commit_id: pull.headSha,
          original_commit_id: pull.headSha,
          user: userJson(comment.user),
          body: comment.body,
          created_at: comment.createdAt,
          updated_at: comment.createdAt,
          author_association: association(repo, comment.user),
        })),
      );
    }),
    compileRoute('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', (request, param) => {
      const [repo, issue, pull] = pullAt(param);
      const body = objectBody(request.body);
      onlyFields(body, ['body', 'event', 'comments', 'commit_id']);
      const states: Record<string, Review['state']> = { COMMENT: 'COMMENTED', REQUEST_CHANGES: 'CHANGES_REQUESTED', APPROVE: 'APPROVED' };
      const state = typeof body.event === 'string' ? states[body.event] : undefined;
      if (!state) throw invalid('event must be COMMENT, REQUEST_CHANGES or APPROVE');
      const text = body.body === undefined ? '' : commentBodyOf(body.body);
      if (state !== 'APPROVED' && text === '' && body.comments === undefined) throw invalid('Review body is required for this event');
      if (lower(request.actor) === lower(issue.author) && state !== 'COMMENTED') throw invalid('Can not approve or request changes on your own pull request');
      if (body.commit_id !== undefined && !repo.git.has(textOf(body.commit_id, 'commit_id'))) throw invalid('commit_id is not part of the pull request');
      const inline = body.comments === undefined ? [] : body.comments;
      if (!Array.isArray(inline)) throw invalid('comments must be an array');
      const changed = new Set(filenames(pull.files));
      const drafts = inline.map((entry: unknown) => {
        const comment = objectBody(entry);
        onlyFields(comment, ['path', 'body', 'position']);
        const path = textOf(comment.path, 'comments.path');
        if (!changed.has(path)) throw invalid(`Path ${path} is not part of the diff`);
        if (typeof comment.position !== 'number' || !Number.isInteger(comment.position) || comment.position < 1) {
          throw invalid('comments.position must be a positive integer');
        }
        return { path, body: commentBodyOf(comment.body), position: comment.position };
      });
      const review: ReviewState = { id: nextId++, user: request.actor, state, body: text, submittedAt: timestamp() };
      pull.reviews.push(review);
      for (const draft of drafts) {
        reviewCommentList.push({ id: nextId++, repoKey: lower(repo.fullName), number: issue.number, user: request.actor, ...draft, createdAt: timestamp() });
      }
      touch(issue);
      return { status: 200, body: reviewJson(repo, issue, pull, review) };
    }),
    compileRoute('GET', '/teams/{team_id}/memberships/{username}', (_request, param) => {
      const team = teamIds.get(Number(param('team_id')));
      const login = param('username');
      if (team === undefined || !teamMembers.get(team)?.has(lower(login))) throw notFound();
      return { status: 200, body: { url: `${apiBase}/teams/${param('team_id')}/memberships/${login}`, role: 'member', state: 'active' } };
    }),
  ];

  /** The user-status query (blunderbuss's availability check) or one of the mutations. */
  function graphqlRequest(body: Record<string, unknown>): unknown {
    const query = textOf(body.query, 'query');
    if (!/\buser\s*\(/.test(query)) return graphqlMutation(body);
    const login = objectBody(body.variables ?? {}).login;
    if (typeof login !== 'string') return { errors: [{ message: 'Variable $login of type String! was provided invalid value' }] };
    const busy = busyUsers.has(lower(login));
    return { data: { user: { status: busy ? { indicatesLimitedAvailability: true } : null } } };
  }

  /**
   * The GraphQL mutations Cutwater sends (pinIssue, unpinIssue, transferIssue, each taking
   * `$input`), answered as GitHub does: 200, with `errors` when refused.
   */
  function graphqlMutation(body: Record<string, unknown>): unknown {
    const query = textOf(body.query, 'query');
    const mutation = /\b(pinIssue|unpinIssue|transferIssue)\s*\(/.exec(query)?.[1];
    if (!mutation) return { errors: [{ message: 'the fake GitHub models only the pinIssue, unpinIssue and transferIssue mutations' }] };
    const variables = objectBody(body.variables ?? {});
    const input = objectBody(variables.input);
    const issueId = typeof input.issueId === 'string' ? input.issueId : '';
    const found = [...repos.values()].flatMap((repo) => [...repo.issues.values()].filter((issue) => !issue.pull && `I_${issue.id}` === issueId).map((issue) => ({ repo, issue })))[0];
    if (!found) return { errors: [{ type: 'NOT_FOUND', message: `Could not resolve to a node with the global id of '${issueId}'.` }] };
    const { repo, issue } = found;
    if (mutation === 'pinIssue') {
      if (!pinned.includes(issue)) {
        if (pinned.filter((other) => repo.issues.get(other.number) === other).length >= 3) {
          return { errors: [{ message: 'You can only pin up to 3 issues in a repository.' }] };
        }
        pinned.push(issue);
      }
      return { data: { pinIssue: { issue: { id: issueId } } } };
    }
    if (mutation === 'unpinIssue') {
      const at = pinned.indexOf(issue);
      if (at >= 0) pinned.splice(at, 1);
      return { data: { unpinIssue: { issue: { id: issueId } } } };
    }
    const repositoryId = typeof input.repositoryId === 'string' ? input.repositoryId : '';
    const destination = [...repos.values()].find((candidate) => `R_${candidate.id}` === repositoryId);
    if (!destination) return { errors: [{ type: 'NOT_FOUND', message: `Could not resolve to a node with the global id of '${repositoryId}'.` }] };
    if (lower(destination.owner) !== lower(repo.owner)) return { errors: [{ message: 'Issues can only be transferred to repositories of the same owner.' }] };
    const from = `${repo.fullName}#${issue.number}`;
    const number = Math.max(0, ...destination.issues.keys()) + 1;
    for (const comment of comments.values()) {
      if (comment.repoKey === lower(repo.fullName) && comment.number === issue.number) {
        comment.repoKey = lower(destination.fullName);
        comment.number = number;
      }
    }
    repo.issues.delete(issue.number);
    issue.number = number;
    destination.issues.set(number, issue);
    const at = pinned.indexOf(issue);
    if (at >= 0) pinned.splice(at, 1);
    transferLog.push({ from, to: `${destination.fullName}#${number}` });
    return { data: { transferIssue: { issue: { url: htmlUrl(destination, issue) } } } };
  }

  function newComment(repo: RepoState, number: number, user: string, body: string): CommentState {
    const now = timestamp();
    const comment: CommentState = {
      id: nextId++,
      repoKey: lower(repo.fullName),
      number,
      body,
      user,
      createdAt: now,
      updatedAt: now,
    };
    comments.set(comment.id, comment);
    return comment;
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  /** Who the credentials act as; App routes take the App's JWT, everything else a token. */
  function authenticate(authorization: string | undefined, path: string): string {
    if (!authorization) throw new Refusal(401, 'Requires authentication');
    const match = /^(token|bearer)\s+(\S+)$/i.exec(authorization);
    if (!match) throw new Refusal(401, 'Bad credentials');
    const credential = match[2]!;
    const parts = credential.split('.');
    const isJwt = parts.length === 3;
    if (path === '/app' || path.startsWith('/app/')) {
      if (!isJwt) throw new Refusal(401, 'A JSON web token could not be decoded');
      try {
        const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: unknown };
        if (claims.iss === undefined) throw new Error('no issuer');
      } catch {
        throw new Refusal(401, 'A JSON web token could not be decoded');
      }
      return appBot;
    }
    if (isJwt) throw new Refusal(401, 'A JSON web token cannot be used here; use an installation token');
    const user = userTokens.get(credential);
    if (user !== undefined) return user;
    return installationTokens.has(credential) ? appBot : botLogin;
  }

  /** GitHub's rate-limit headers for this credential, after counting this answer against them. */
  function rateLimitHeaders(authorization: string | undefined, path: string, status: number): Record<string, string> {
    const resource = path.startsWith('/search/') ? 'search' : 'core';
    const key = `${authorization ?? ''}\n${resource}`;
    let budget = rateLimits.get(key);
    if (!budget) {
      budget = { ...defaultRateLimit };
      rateLimits.set(key, budget);
    }
    // A 304 costs nothing, as on GitHub.
    if (status !== 304) budget.remaining = Math.max(0, budget.remaining - 1);
    return {
      'x-ratelimit-limit': String(budget.limit),
      'x-ratelimit-remaining': String(budget.remaining),
      'x-ratelimit-reset': String(rateLimitReset),
      'x-ratelimit-used': String(budget.limit - budget.remaining),
      'x-ratelimit-resource': resource,
    };
  }

  /** A weak ETag over what GitHub's varies with: the representation (body and media type). */
  function etagOf(json: string, accept: string): string {
    return `W/"${createHash('sha256').update(accept).update('\n').update(json).digest('hex')}"`;
  }

  function answer(
    request: IncomingMessage,
    rawBody: string,
  ): {
    reply: Reply;
    route: string | undefined;
    /** Answered by a route of the API from the fake's state: a GET's answer gets an ETag. */
    conditional: boolean;
    /** On the web host (OAuth): no rate limit. */
    web: boolean;
  } {
    const url = new URL(request.url ?? '/', 'http://fake-github.invalid');
    const method = (request.method ?? 'GET').toUpperCase();
    let matched: { route: Route; captures: RegExpExecArray } | undefined;
    for (const candidate of routes) {
      const captures = candidate.method === method ? candidate.pattern.exec(url.pathname) : null;
      if (captures) {
        matched = { route: candidate, captures };
        break;
      }
    }
    const route = matched ? `${matched.route.method} ${matched.route.template}` : undefined;
    const web = matched?.route.web === true;
    try {
      const actor = matched?.route.web ? '' : authenticate(request.headers.authorization, url.pathname);
      const injection = injected.find(
        (candidate) => candidate.remaining > 0 && candidate.method === method && regexMatches(candidate.pattern, url.pathname),
      );
      if (injection) {
        injection.remaining--;
        return { reply: injection.response, route, conditional: false, web };
      }
      if (!matched) throw notFound();
      let body: unknown;
      let form = new URLSearchParams();
      if (/^application\/x-www-form-urlencoded/i.test(request.headers['content-type'] ?? '')) {
        form = new URLSearchParams(rawBody);
      } else {
        try {
          body = rawBody === '' ? undefined : JSON.parse(rawBody);
        } catch {
          throw new Refusal(400, 'Problems parsing JSON');
        }
      }
      const values = new Map<string, string>();
      try {
        matched.route.names.forEach((name, index) => values.set(name, decodeURIComponent(matched.captures[index + 1] ?? '')));
      } catch {
        throw new Refusal(400, 'Malformed percent-encoding in the path');
      }
      const param: Param = (name) => {
        const value = values.get(name);
        if (value === undefined) throw new Error(`fake GitHub bug: ${route} has no {${name}}`);
        return value;
      };
      const incoming: Incoming = {
        method,
        path: url.pathname,
        query: url.searchParams,
        body,
        form,
        actor,
        host: request.headers.host ?? '127.0.0.1',
        accept: request.headers.accept ?? '',
      };
      return { reply: matched.route.handle(incoming, param), route, conditional: !web, web };
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      const body: Record<string, unknown> = { message: error.message, documentation_url: 'https://docs.github.com/rest' };
      if (error.errors) body.errors = error.errors;
      return { reply: { status: error.status, body }, route, conditional: false, web };
    }
  }

  /** Creates content, as GitHub's secondary limits count it: a write on the API, not minting a token. */
  function isContentWrite(method: string, path: string): boolean {
    if (!['POST', 'PATCH', 'PUT', 'DELETE'].includes(method)) return false;
    return !path.startsWith('/app/') && !path.startsWith('/login/');
  }

  /**
   * Takes a content write into its credential's windows, or says how many seconds until they
   * have room for it (a refusal, which GitHub does not count against the windows).
   */
  function admitWrite(credential: string): { retryAfterSeconds: number } | undefined {
    const now = clock().getTime();
    const windows = [
      { max: secondaryLimits?.perMinute, ms: secondaryLimits?.minuteMs ?? 60_000 },
      { max: secondaryLimits?.perHour, ms: secondaryLimits?.hourMs ?? 3_600_000 },
    ];
    const longest = Math.max(...windows.map((window) => window.ms));
    const times = (writeTimes.get(credential) ?? []).filter((time) => time > now - longest);
    let waitMs = 0;
    for (const window of windows) {
      if (window.max === undefined) continue;
      const inside = times.filter((time) => time > now - window.ms);
      if (inside.length < window.max) continue;
      // The window has room once enough of the oldest inside it have left.
      const leaving = inside[inside.length - window.max] ?? now;
      waitMs = Math.max(waitMs, leaving + window.ms - now);
    }
    if (waitMs > 0) return { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    times.push(now);
    writeTimes.set(credential, times);
    return undefined;
  }

  function regexMatches(pattern: RegExp, text: string): boolean {
    // A global or sticky pattern remembers where it last matched; every request starts afresh.
    pattern.lastIndex = 0;
    return pattern.test(text);
  }

  function serve(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const url = new URL(request.url ?? '/', 'http://fake-github.invalid');
      let parsedBody: unknown = undefined;
      try {
        parsedBody = rawBody === '' ? undefined : JSON.parse(rawBody);
      } catch {
        parsedBody = rawBody;
      }
      const record: RecordedRequest = {
        method: (request.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: parsedBody,
        authorization: request.headers.authorization,
        route: undefined,
        status: 0,
        ifNoneMatch: request.headers['if-none-match'],
      };
      requests.push(record);
      const credential = request.headers.authorization ?? '';
      if (isContentWrite(record.method, url.pathname)) {
        const refusal = secondaryLimits ? admitWrite(credential) : undefined;
        if (refusal) {
          counters.secondaryLimited++;
          respond(request, response, record, url, secondaryRateLimit(refusal.retryAfterSeconds), false, false);
          return;
        }
        counters.writes++;
        const inFlight = (writesInFlight.get(credential) ?? 0) + 1;
        writesInFlight.set(credential, inFlight);
        counters.peakConcurrentWrites = Math.max(counters.peakConcurrentWrites, inFlight);
        const finish = () => {
          writesInFlight.set(credential, (writesInFlight.get(credential) ?? 1) - 1);
          answerAndRespond(request, response, record, url, rawBody);
        };
        if (writeDelayMs > 0) setTimeout(finish, writeDelayMs);
        else finish();
        return;
      }
      const stall = record.method === 'GET' ? stalls.find((candidate) => regexMatches(candidate.pattern, url.pathname)) : undefined;
      if (stall) {
        stall.held.push(() => answerAndRespond(request, response, record, url, rawBody));
        return;
      }
      answerAndRespond(request, response, record, url, rawBody);
    });
  }

  function answerAndRespond(request: IncomingMessage, response: ServerResponse, record: RecordedRequest, url: URL, rawBody: string): void {
    let reply: Reply;
    let conditional = false;
    let web = false;
    try {
      const answered = answer(request, rawBody);
      reply = answered.reply;
      record.route = answered.route;
      conditional = answered.conditional;
      web = answered.web;
    } catch (error) {
      reply = { status: 500, body: { message: `fake GitHub bug: ${String(error)}` } };
    }
    const lost = lostAnswers.findIndex((candidate) => candidate.method === record.method && regexMatches(candidate.pattern, url.pathname));
    if (lost >= 0) {
      const [{ status } = { status: 502 }] = lostAnswers.splice(lost, 1);
      reply = { status, body: { message: 'Server Error' } };
      conditional = false;
    }
    respond(request, response, record, url, reply, conditional, web);
  }

  function respond(
    request: IncomingMessage,
    response: ServerResponse,
    record: RecordedRequest,
    url: URL,
    answered: Reply,
    conditional: boolean,
    web: boolean,
  ): void {
    let reply = answered;
    const cacheHeaders: Record<string, string> = {};
    // Serialised once, for the ETag and the answer: the corpus tests read thousands of files.
    const json = reply.body === undefined ? undefined : JSON.stringify(reply.body);
    if (conditional && record.method === 'GET' && reply.status === 200 && json !== undefined && reply.text === undefined) {
      const etag = etagOf(json, request.headers.accept ?? '');
      cacheHeaders.etag = etag;
      cacheHeaders['cache-control'] = noStorePaths.some((pattern) => regexMatches(pattern, url.pathname))
        ? 'no-store'
        : 'private, max-age=60, s-maxage=60';
      cacheHeaders.vary = 'Accept, Authorization, Cookie, X-GitHub-OTP';
      if (request.headers['if-none-match'] === etag) reply = { status: 304 };
    }
    record.status = reply.status;
    const headers: Record<string, string> = {
      'x-github-request-id': `FAKE:${requests.length}`,
      ...(web ? {} : rateLimitHeaders(request.headers.authorization, url.pathname, reply.status)),
      ...cacheHeaders,
      ...reply.headers,
    };
    if (reply.text !== undefined) {
      response.writeHead(reply.status, headers).end(reply.text);
      return;
    }
    if (reply.status === 204 || reply.status === 304 || json === undefined) {
      response.writeHead(reply.status, headers).end();
      return;
    }
    response
      .writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...headers })
      .end(json);
  }

  const server = createServer(serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  apiBase = `http://127.0.0.1:${port}`;

  return {
    url: apiBase,
    requests,
    oauth,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Clients keep connections alive; close would otherwise wait for them to time out.
        server.closeAllConnections();
      }),

    setBranchProtection: (fullName, branch, settings) => {
      const repo = ensureRepo(fullName);
      ensureBranch(repo, branch);
      if (settings) repo.protection.set(branch, structuredClone(settings));
      else repo.protection.delete(branch);
    },
    branchProtection: (fullName, branch) => {
      const settings = repos.get(lower(fullName))?.protection.get(branch);
      return settings ? structuredClone(settings) : undefined;
    },
    addRepo: (fullName, repoOptions) => {
      const repo = ensureRepo(fullName, repoOptions?.defaultBranch);
      if (repoOptions?.archived !== undefined) repo.archived = repoOptions.archived;
      Object.assign(repo.mergeMethods, repoOptions?.mergeMethods ?? {});
    },
    addOrgMember: (org, login) => {
      const members = orgMembers.get(lower(org)) ?? new Set<string>();
      members.add(lower(know(login)));
      orgMembers.set(lower(org), members);
    },
    addRepoTeam: (fullName, teamSlug, permission) => {
      const key = lower(ensureRepo(fullName).fullName);
      const teams = repoTeams.get(key) ?? new Map<string, string>();
      teams.set(teamSlug, permission);
      repoTeams.set(key, teams);
    },
    addAppInstallation: (org, appSlug, contents) => {
      const installed = appInstallations.get(lower(org)) ?? [];
      installed.push({ appSlug, contents });
      appInstallations.set(lower(org), installed);
    },
    addCollaborator: (fullName, login, permission = 'write') => {
      const repo = ensureRepo(fullName);
      repo.collaborators.add(lower(know(login)));
      repo.permissions.set(lower(login), permission);
    },
    addTeamMember: (org, teamSlug, login) => {
      const key = lower(`${org}/${teamSlug}`);
      const members = teamMembers.get(key) ?? new Set<string>();
      members.add(lower(know(login)));
      teamMembers.set(key, members);
      const orgSet = orgMembers.get(lower(org)) ?? new Set<string>();
      orgSet.add(lower(login));
      orgMembers.set(lower(org), orgSet);
    },
    setFile: (fullName, path, content, ref) => {
      const repo = ensureRepo(fullName);
      const at = ref ?? repo.defaultBranch;
      const files = repo.files.get(at) ?? new Map<string, string>();
      files.set(path.replace(/^\/+/, ''), content);
      repo.files.set(at, files);
    },
    addPullRequest: (fullName, pr) => {
      const repo = ensureRepo(fullName);
      const baseRef = pr.baseRef ?? repo.defaultBranch;
      const baseSha = ensureBranch(repo, baseRef);
      const files = fileChanges(pr.files ?? []);
      const headSha = pr.headSha ?? pr.commits?.at(-1)?.sha ?? sha1(`${fullName}#${pr.number}:head`);
      repo.git.add(headSha, [baseSha], filenames(files), JSON.stringify(files));
      const commits = commitList(`${fullName}#${pr.number}`, pr.commits ?? [{ message: pr.title ?? `PR ${pr.number}` }], headSha, baseSha);
      addIssueState(
        fullName,
        pr,
        {
          headSha,
          headRef: pr.headRef ?? `pr-${pr.number}`,
          baseRef,
          baseSha,
          draft: pr.draft ?? false,
          forced: pr.mergeable === false ? 'conflicting' : pr.mergeable === null ? 'unknown' : undefined,
          mergeabilityStale: false,
          merged: false,
          mergedAt: null,
          mergeCommitSha: null,
          closedBaseSha: null,
          files,
          commits,
          requestedReviewers: [],
          requestedTeams: [],
          reviews: [],
        },
        pr.authorAssociation,
      );
    },
    addIssue: (fullName, issue) => addIssueState(fullName, issue, undefined),
    addRepoLabels: (fullName, labels) => {
      const repo = ensureRepo(fullName);
      for (const name of labels) repoLabel(repo, name);
    },
    addMilestone: (fullName, title, options) => {
      const repo = ensureRepo(fullName);
      const number = repo.milestones.size + 1;
      repo.milestones.set(number, { number, title, state: options?.state ?? 'open' });
      return number;
    },
    addComment: (fullName, number, user, body) => {
      const issue = seededIssue(fullName, number);
      const comment = newComment(ensureRepo(fullName), issue.number, know(user), body);
      return { id: comment.id };
    },
    addReview: (fullName, number, review) => {
      const pull = seededPull(fullName, number);
      if (!REVIEW_STATES.has(review.state)) throw new Error(`test bug: "${review.state}" is not a review state`);
      pull.reviews.push({
        id: nextId++,
        user: know(review.user),
        state: review.state,
        body: review.body ?? '',
        submittedAt: timestamp(),
      });
      // Reviewing answers a review request.
      pull.requestedReviewers = pull.requestedReviewers.filter((login) => lower(login) !== lower(review.user));
    },

    repoLabels: (fullName) => [...(repos.get(lower(fullName))?.labels.values() ?? [])].map((label) => label.name),
    labels: (fullName, number) => [...seededIssue(fullName, number).labels],
    reactions: (fullName, on) =>
      reactions.get(typeof on === 'number' ? `${lower(fullName)}#${on}` : `${lower(fullName)} comment ${on.commentId}`) ?? [],
    comments: (fullName, number) => {
      seededIssue(fullName, number);
      return [...comments.values()]
        .filter((comment) => comment.repoKey === lower(fullName) && comment.number === number)
        .map((comment) => ({ id: comment.id, body: comment.body, user: comment.user }));
    },
    reviews: (fullName, number) =>
      seededPull(fullName, number).reviews.map((review) => ({
        id: review.id,
        user: review.user,
        state: review.state,
        body: review.body,
      })),
    statuses: (fullName, sha) => {
      const repo = repos.get(lower(fullName));
      if (!repo) return [];
      return latestStatuses(repo, sha).map((status) => ({
        state: status.state,
        context: status.context,
        description: status.description,
        target_url: status.targetUrl,
      }));
    },
    assignees: (fullName, number) => [...seededIssue(fullName, number).assignees],
    requestedReviewers: (fullName, number) => [...seededPull(fullName, number).requestedReviewers],
    requestedTeams: (fullName, number) => [...seededPull(fullName, number).requestedTeams],
    issue: (fullName, number) => {
      const issue = seededIssue(fullName, number);
      return { title: issue.title, body: issue.body, state: issue.state };
    },
    stateReason: (fullName, number) => seededIssue(fullName, number).stateReason,
    milestone: (fullName, number) => seededIssue(fullName, number).milestone,

    pullRequest: (fullName, number) => {
      const issue = seededIssue(fullName, number);
      const pull = seededPull(fullName, number);
      const { mergeable, state } = mergeability(ensureRepo(fullName), issue, pull);
      return {
        state: issue.state,
        merged: pull.merged,
        headSha: pull.headSha,
        baseRef: pull.baseRef,
        mergeable,
        mergeableState: state,
        mergeCommitSha: pull.mergeCommitSha,
      };
    },
    branchHead: (fullName, branch) => repos.get(lower(fullName))?.git.branch(branch),
    branches: (fullName) => repos.get(lower(fullName))?.git.branches() ?? {},
    pushToBranch: (fullName, branch, change) => {
      const repo = ensureRepo(fullName);
      const before = ensureBranch(repo, branch);
      const sha = change.sha ?? sha1(`${fullName}:${branch}: push onto ${before} (${nextId++})`);
      repo.git.add(sha, [before], change.files);
      moveBranch(repo, branch, sha);
      return sha;
    },
    pushPullRequestHead: (fullName, number, change = {}) => {
      const repo = ensureRepo(fullName);
      const issue = seededIssue(fullName, number);
      const pull = seededPull(fullName, number);
      if (change.files) pull.files = fileChanges(change.files);
      if (change.rebase) {
        pull.baseSha = ensureBranch(repo, pull.baseRef);
        if (pull.forced === 'conflicting') pull.forced = undefined;
      }
      const sha = change.sha ?? change.commits?.at(-1)?.sha ?? sha1(`${fullName}#${number}: head on ${pull.baseSha} (${nextId++})`);
      // The PR's whole change as one commit on its base: all the conflict model needs of it.
      repo.git.add(sha, [pull.baseSha], filenames(pull.files), JSON.stringify(pull.files));
      pull.headSha = sha;
      // Without a new list, the push amends the head commit, keeping every message.
      pull.commits = change.commits
        ? commitList(`${fullName}#${number}@${sha}`, change.commits, sha, pull.baseSha)
        : pull.commits.map((commit, index) => (index === pull.commits.length - 1 ? { ...commit, sha } : commit));
      touch(issue);
      return sha;
    },
    setMergeability: (fullName, number, state) => {
      seededPull(fullName, number).forced = state === 'computed' ? undefined : state;
    },
    merges: () => recordedMerges.map((merge) => ({ ...merge })),
    addCheckRun: (fullName, sha, run) => {
      const repo = ensureRepo(fullName);
      const status = run.status ?? (run.conclusion ? 'completed' : 'queued');
      const now = timestamp();
      const state: CheckRunState = {
        id: nextId++,
        name: run.name,
        status,
        conclusion: status === 'completed' ? (run.conclusion ?? 'success') : null,
        detailsUrl: run.detailsUrl ?? null,
        startedAt: now,
        completedAt: status === 'completed' ? now : null,
      };
      const runs = repo.checkRuns.get(sha) ?? [];
      runs.push(state);
      repo.checkRuns.set(sha, runs);
      return { id: state.id };
    },

    stallReads: (pathPattern) => {
      const stall = { pattern: pathPattern, held: [] as (() => void)[] };
      stalls.push(stall);
      return () => {
        stalls.splice(stalls.indexOf(stall), 1);
        for (const answer of stall.held.splice(0)) answer();
      };
    },
    failNext: (method, pathPattern, response, times = 1) => {
      injected.push({ method: method.toUpperCase(), pattern: pathPattern, response, remaining: times });
    },
    loseNextAnswer: (method, pathPattern, status = 502) => {
      lostAnswers.push({ method: method.toUpperCase(), pattern: pathPattern, status });
    },
    setSearchCount: (query, count) => {
      searchCounts.set(query, count);
    },
    setRateLimit: ({ remaining, limit = 5000 }) => {
      defaultRateLimit = { limit, remaining };
      for (const budget of rateLimits.values()) Object.assign(budget, defaultRateLimit);
    },
    noStore: (pathPattern) => {
      noStorePaths.push(pathPattern);
    },
    setWriteDelay: (ms) => {
      writeDelayMs = ms;
    },
    enforceSecondaryLimits: (limits) => {
      secondaryLimits = limits;
    },
    setPullRequestPatch: (fullName, number, patch) => {
      seededIssue(fullName, number);
      pullPatches.set(`${lower(fullName)}#${number}`, patch);
    },
    openedPullRequests: (fullName) => [...(openedPulls.get(lower(fullName)) ?? [])],
    counters: () => ({ ...counters }),

    addTag: (fullName, tag, sha) => {
      const repo = ensureRepo(fullName);
      const named = tags.get(lower(repo.fullName)) ?? new Map<string, string>();
      named.set(tag, sha ?? ensureBranch(repo, repo.defaultBranch));
      tags.set(lower(repo.fullName), named);
    },
    pinnedIssues: (fullName) => {
      const repo = repos.get(lower(fullName));
      return pinned.filter((issue) => repo?.issues.get(issue.number) === issue).map((issue) => issue.number);
    },
    transfers: () => transferLog.map((transfer) => ({ ...transfer })),
    leaveOutOfSearch: (fullName, number) => {
      unindexed.add(lower(`${fullName}#${number}`));
    },

    addLabelAs: (fullName, number, labelName, actor) => {
      const repo = ensureRepo(fullName);
      const issue = seededIssue(fullName, number);
      const label = repoLabel(repo, labelName);
      if (issue.labels.includes(label.name)) return;
      issue.labels.push(label.name);
      recordLabelEvent(repo, issue, 'labeled', label.name, know(actor));
      touch(issue);
    },
    labelEvents: (fullName, number) =>
      issueEvents
        .filter((event) => event.repoKey === lower(fullName) && event.number === number)
        .map((event) => `${event.actor}:${event.event}:${event.label}`),
    treeOf: (fullName, sha) => {
      const tree = ensureRepo(fullName).git.tree(sha);
      if (tree === undefined) throw new Error(`test bug: ${fullName} has no commit ${sha}`);
      return tree;
    },
    addReviewComment: (fullName, number, comment) => {
      seededPull(fullName, number);
      const id = nextId++;
      reviewCommentList.push({
        id,
        repoKey: lower(fullName),
        number,
        user: know(comment.user),
        path: comment.path,
        body: comment.body,
        position: 1,
        createdAt: timestamp(),
      });
      return { id };
    },
    reviewComments: (fullName, number) =>
      reviewCommentList
        .filter((comment) => comment.repoKey === lower(fullName) && comment.number === number)
        .map(({ user, path, body, position }) => ({ user, path, body, position })),
    setTeamId: (org, teamSlug, id) => {
      teamIds.set(id, lower(`${org}/${teamSlug}`));
    },
    setUserBusy: (login, busy) => {
      if (busy) busyUsers.add(lower(login));
      else busyUsers.delete(lower(login));
    },

    repositories: () => [...repos.values()].map((repo) => repo.fullName),
    issueNumbers: (fullName) => [...(repos.get(lower(fullName))?.issues.keys() ?? [])].sort((a, b) => a - b),
    userToken: (login) => {
      const token = `user-${randomBytes(16).toString('hex')}`;
      userTokens.set(token, know(login));
      return token;
    },
    webhookJson: (fullName, what) => {
      const repo = ensureRepo(fullName);
      if ('repository' in what) return repoJson(repo);
      if ('user' in what) return userJson(what.user);
      if ('issue' in what) return issueJson(repo, seededIssue(fullName, what.issue));
      if ('pull' in what) return pullJson(repo, seededIssue(fullName, what.pull), seededPull(fullName, what.pull));
      if ('comment' in what) {
        const comment = comments.get(what.comment);
        if (!comment || comment.repoKey !== lower(fullName)) throw new Error(`${fullName} has no comment ${what.comment}`);
        return commentJson(repo, comment);
      }
      const pull = seededPull(fullName, what.review.number);
      const review = pull.reviews.find((candidate) => candidate.id === what.review.id);
      if (!review) throw new Error(`${fullName}#${what.review.number} has no review ${what.review.id}`);
      return reviewJson(repo, seededIssue(fullName, what.review.number), pull, review);
    },
  };
}
