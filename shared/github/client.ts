/**
 * What Cutwater asks of GitHub: a narrow interface, so plugins and reporters depend on these
 * operations rather than on octokit, and so the fake GitHub server in test/ has a definite surface.
 * The implementation (shared/github/octokit.ts) speaks GitHub's REST API through @octokit/core,
 * authenticated as a GitHub App installation or with a token, retrying secondary rate limits and
 * 5xx with backoff — except the outbox writer's clients, which hand rate limits back at once.
 *
 * Shapes are the subset of GitHub's REST responses Cutwater reads, with GitHub's field names.
 */

export interface GitHubUser {
  login: string;
  type?: string;
}

export interface PullRequest {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft?: boolean;
  merged?: boolean;
  /** null while GitHub is still computing it. */
  mergeable: boolean | null;
  /** Why the PR can or cannot merge now, in GitHub's words; `unknown` while GitHub computes it. */
  mergeable_state: MergeableState;
  /** Once merged, the commit the merge made on the base branch. */
  merge_commit_sha?: string | null;
  user: GitHubUser;
  head: { ref: string; sha: string; repo?: { full_name: string } | null };
  base: { ref: string; sha: string; repo: { full_name: string; name: string; owner: { login: string } } };
  labels: { name: string }[];
  assignees?: GitHubUser[];
  requested_reviewers?: GitHubUser[];
  additions?: number;
  deletions?: number;
  html_url: string;
  author_association?: string;
}

/**
 * GitHub's `mergeable_state`: `clean` (mergeable, checks passing), `unstable` (mergeable, some
 * check that is not required failing), `has_hooks` (mergeable, pre-receive hooks), `blocked`
 * (branch protection or rulesets refuse it: reviews or required checks), `behind` (the branch
 * must be brought up to date first), `dirty` (a merge conflict), `draft`, and `unknown` while
 * GitHub computes it. Anything else GitHub may add reads as `unknown`.
 */
export type MergeableState = 'clean' | 'unstable' | 'has_hooks' | 'blocked' | 'behind' | 'dirty' | 'draft' | 'unknown';

export interface Issue {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  user: GitHubUser;
  labels: { name: string }[];
  assignees: GitHubUser[];
  /** Present when the issue is a pull request. */
  pull_request?: { url: string };
  html_url: string;
}

export interface PullRequestFile {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  additions: number;
  deletions: number;
  changes: number;
  previous_filename?: string;
}

export interface IssueComment {
  id: number;
  body: string;
  user: GitHubUser;
  created_at: string;
  updated_at: string;
  html_url?: string;
}

/** One commit of a pull request, as GitHub lists them (oldest first). */
export interface PullRequestCommit {
  sha: string;
  /** The whole message: the subject line, then the body. */
  message: string;
  /** The parents' SHAs: more than one makes it a merge commit. */
  parents: string[];
}

export interface Review {
  id: number;
  user: GitHubUser;
  body: string | null;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
  submitted_at?: string;
}

export type CommitState = 'error' | 'failure' | 'pending' | 'success';

export interface CommitStatus {
  state: CommitState;
  context: string;
  description?: string | null;
  target_url?: string | null;
}

export interface CombinedStatus {
  state: CommitState;
  sha: string;
  statuses: CommitStatus[];
}

/**
 * A check run on a commit (GitHub's Checks API), with `state` mapped onto a commit status's
 * states as Prow's tide does (checkRunToContext): not completed is pending; completed with
 * success, neutral or skipped is success; any other conclusion (failure, cancelled, timed_out,
 * action_required, stale, startup_failure) is failure.
 */
export interface CheckRun {
  id: number;
  name: string;
  status: string;
  /** Set once completed. */
  conclusion: string | null;
  state: 'success' | 'pending' | 'failure';
  head_sha: string;
  details_url?: string | null;
}

const PASSING_CONCLUSIONS: ReadonlySet<string> = new Set(['success', 'neutral', 'skipped']);

export function checkRunState(status: string, conclusion: string | null): CheckRun['state'] {
  if (status !== 'completed') return 'pending';
  return conclusion !== null && PASSING_CONCLUSIONS.has(conclusion) ? 'success' : 'failure';
}

/** A repository's milestone; issues are set to one by its number, and shown with its title. */
export interface Milestone {
  number: number;
  title: string;
  state: 'open' | 'closed';
}

/** What `updateIssue` may change; a field left out is left as it is. */
export interface IssueChanges {
  title?: string;
  /** The whole new body (Markdown). */
  body?: string;
  state?: 'open' | 'closed';
  stateReason?: 'completed' | 'not_planned' | 'reopened';
  /** A milestone's number, or null to clear the milestone. */
  milestone?: number | null;
}

/**
 * An issue or pull request as GitHub's issue search lists it. Search knows nothing of heads,
 * bases or mergeability: a pull request's are read with getPullRequest.
 */
export interface SearchedIssue {
  number: number;
  /** "owner/name". */
  repo: string;
  title: string;
  /** The author's login. */
  author: string;
  /** Label names. */
  labels: string[];
  /** The milestone's title. */
  milestone: string | null;
  state: 'open' | 'closed';
  pullRequest: boolean;
  /** Always false for issues. */
  draft: boolean;
  created_at: string;
  updated_at: string;
  html_url: string;
}

export interface SearchResults {
  items: SearchedIssue[];
  /**
   * Some matches may be missing: GitHub said its search timed out (`incomplete_results`), or more
   * than 1,000 matches were created within one second, beyond what searching on can reach.
   */
  incomplete: boolean;
}

/** The repository settings a merge depends on. */
export interface Repository {
  full_name: string;
  default_branch: string;
  archived: boolean;
  /** Which merge methods the repository allows (GitHub refuses the others with 405). */
  allow_merge_commit: boolean;
  allow_squash_merge: boolean;
  allow_rebase_merge: boolean;
}

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface MergeOptions {
  /** The head the PR must still have: GitHub refuses with 409 (MergeHeadModifiedError) otherwise. */
  sha: string;
  mergeMethod: MergeMethod;
  /** GitHub's defaults when omitted (for a squash, the PR's title and commits). */
  commitTitle?: string;
  commitMessage?: string;
}

/** A pull request's head to merge, in a trial merge, at the SHA the pool tested or will test. */
export interface TrialMergeHead {
  number: number;
  sha: string;
}

export interface TrialMergeResult {
  /** Merged cleanly, in the order given. */
  merged: number[];
  /** Conflicted with the base or with the ones merged before them: left out. */
  conflicting: number[];
  /** Already contained in what was merged before them (GitHub's 204): nothing to merge. */
  alreadyIncluded: number[];
  /** The scratch branch, when it could not be deleted afterwards: safe to delete by hand. */
  leftoverRef?: string;
}

/** A file in a repository's tree at some commit, as GitHub's trees API lists it. */
export interface RepositoryFile {
  /** From the repository root, with "/" separators. */
  path: string;
  /** Git's blob SHA: equal SHAs mean equal content. */
  sha: string;
  size?: number;
}

export interface Label {
  name: string;
  color?: string;
  description?: string | null;
}

/**
 * GitHub drops people it cannot assign without saying so, and refuses review requests from people
 * who cannot review. Writes go out later, through the outbox (shared/outbox), so whoever asked is
 * gone by then: the request carries the comment to post when someone is refused, `{{logins}}`
 * standing for who. A client that sends at once has nobody to tell and ignores it.
 */
export interface PeopleWriteOptions {
  refusalNotice?: string;
}

/**
 * The same for a change of an issue's state: `confirmation` is posted once GitHub took it,
 * `refusalNotice` (with `{{error}}` for GitHub's answer) when GitHub refused it for good.
 */
export interface IssueWriteOptions {
  confirmation?: string;
  refusalNotice?: string;
}

/** The reactions GitHub offers on issues and comments. */
export const REACTION_CONTENTS = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'] as const;
export type ReactionContent = (typeof REACTION_CONTENTS)[number];

export interface GitHubClient {
  /** The login Cutwater comments as (the App's bot user, or the token's user). */
  botLogin(): Promise<string>;

  getPullRequest(owner: string, repo: string, number: number): Promise<PullRequest>;
  /** Every changed file, all pages. */
  listPullRequestFiles(owner: string, repo: string, number: number): Promise<PullRequestFile[]>;
  /** The PR's commits, oldest first, all pages (GitHub lists at most 250). */
  listPullRequestCommits(owner: string, repo: string, number: number): Promise<PullRequestCommit[]>;
  listReviews(owner: string, repo: string, number: number): Promise<Review[]>;
  /**
   * Asks people, and teams written "org/team", for a review. When GitHub refuses some, the rest
   * are still asked and a ReviewRequestRefusedError names the refused.
   */
  requestReviewers(owner: string, repo: string, number: number, logins: string[], options?: PeopleWriteOptions): Promise<void>;
  /** Withdraws review requests of people and teams ("org/team"); those not requested are ignored. */
  removeRequestedReviewers(owner: string, repo: string, number: number, logins: string[]): Promise<void>;
  /** GitHub's search, for counts such as "has this author opened a PR here before". */
  countSearchResults(query: string): Promise<number>;
  /**
   * Every issue and pull request matching a search (`GET /search/issues`, 100 a page), in order of
   * creation. GitHub answers at most 1,000 results per query; past that the search goes on from
   * the creation time of the last one seen (see SearchResults.incomplete).
   */
  searchIssues(query: string): Promise<SearchResults>;
  /** As searchIssues, keeping the open pull requests; the query should say `is:pr state:open`. */
  searchPullRequests(query: string): Promise<SearchResults>;
  getRepository(owner: string, repo: string): Promise<Repository>;
  /** Where a branch points now; undefined when there is no such branch. */
  getBranchHeadSha(owner: string, repo: string, branch: string): Promise<string | undefined>;
  /**
   * Deletes a branch (Prow's `DeleteRef(owner, repo, "heads/<branch>")`); answers false when it was
   * not there, which is what the caller wanted anyway.
   */
  deleteBranch(owner: string, repo: string, branch: string): Promise<boolean>;
  /**
   * Merges a pull request at exactly `options.sha` and answers the merge commit's SHA. GitHub's
   * refusals are MergeRefusedErrors (see their subclasses). A PR found merged already with that
   * head is a success: so is a merge that went through but whose answer was lost (a 5xx, then
   * the retry refused).
   */
  mergePullRequest(owner: string, repo: string, number: number, options: MergeOptions): Promise<string>;
  /**
   * Whether these heads merge onto `baseSha` together, in order, without conflicts, as Prow
   * trial-merges a batch before it triggers it: through a scratch branch on GitHub (created at
   * `baseSha`, each head merged into it, deleted afterwards). A head that conflicts is left out
   * and the next ones merged on top of those that did not.
   */
  trialMerge(owner: string, repo: string, baseSha: string, heads: readonly TrialMergeHead[]): Promise<TrialMergeResult>;
  /** Every check run on a commit (or a branch's head), the latest per name, all pages. */
  listCheckRuns(owner: string, repo: string, ref: string): Promise<CheckRun[]>;

  getIssue(owner: string, repo: string, number: number): Promise<Issue>;
  updateIssue(
    owner: string,
    repo: string,
    number: number,
    changes: IssueChanges,
    options?: IssueWriteOptions,
  ): Promise<void>;
  /** The repository's open milestones, all pages. */
  listMilestones(owner: string, repo: string): Promise<Milestone[]>;
  listIssueLabels(owner: string, repo: string, number: number): Promise<string[]>;
  addLabels(owner: string, repo: string, number: number, labels: string[]): Promise<void>;
  /** A label that is not there is not an error. */
  removeLabel(owner: string, repo: string, number: number, label: string): Promise<void>;
  listRepoLabels(owner: string, repo: string): Promise<Label[]>;
  /**
   * GitHub answers success even when it leaves out people who cannot be assigned; the answer is
   * the issue's assignees afterwards, so a caller can tell who was left out (empty, with no
   * request made, when no one is asked for). Through the outbox, the assignees as readers will
   * see them once the write is sent.
   */
  addAssignees(owner: string, repo: string, number: number, logins: string[], options?: PeopleWriteOptions): Promise<string[]>;
  removeAssignees(owner: string, repo: string, number: number, logins: string[]): Promise<void>;

  /** Every comment on the issue or PR, oldest first, all pages. */
  listComments(owner: string, repo: string, number: number): Promise<IssueComment[]>;
  createComment(owner: string, repo: string, number: number, body: string): Promise<IssueComment>;
  editComment(owner: string, repo: string, commentId: number, body: string): Promise<void>;
  /** A comment already gone is not an error. */
  deleteComment(owner: string, repo: string, commentId: number): Promise<void>;
  /** An emoji reaction on an issue or PR; GitHub answers the same reaction again with the existing one. */
  createIssueReaction(owner: string, repo: string, number: number, content: ReactionContent): Promise<void>;
  /**
   * An emoji reaction on an issue or PR comment. GitHub needs only the comment's ID; the issue it
   * is on is asked for too because the outbox files every write under its issue.
   */
  createCommentReaction(owner: string, repo: string, number: number, commentId: number, content: ReactionContent): Promise<void>;

  createStatus(owner: string, repo: string, sha: string, status: CommitStatus): Promise<void>;
  getCombinedStatus(owner: string, repo: string, ref: string): Promise<CombinedStatus>;

  isOrgMember(org: string, login: string): Promise<boolean>;
  isCollaborator(owner: string, repo: string, login: string): Promise<boolean>;
  isTeamMember(org: string, teamSlug: string, login: string): Promise<boolean>;

  /** A file's text at a ref (default branch when omitted); undefined when there is no such file. */
  getFileContent(owner: string, repo: string, path: string, ref?: string): Promise<string | undefined>;
  /**
   * Every regular file in the repository at a ref (a commit SHA or branch), recursively, in one
   * request; symlinks and submodules are left out. Fails when GitHub truncates the listing.
   */
  listRepositoryFiles(owner: string, repo: string, ref: string): Promise<RepositoryFile[]>;

  /** Every branch of the repository, all pages, each with whether it is protected. */
  listBranches(owner: string, repo: string): Promise<BranchSummary[]>;
  /** Every tag's name, all pages. */
  listTags(owner: string, repo: string): Promise<string[]>;
  /**
   * Pins an issue to its repository (GraphQL `pinIssue`). GitHub refuses beyond its limit of
   * pinned issues per repository, and for pull requests.
   */
  pinIssue(owner: string, repo: string, number: number): Promise<void>;
  /** Unpins an issue (GraphQL `unpinIssue`). */
  unpinIssue(owner: string, repo: string, number: number): Promise<void>;
  /**
   * Moves an issue to another repository of the same owner (GraphQL `transferIssue`); answers the
   * issue's address there.
   */
  transferIssue(owner: string, repo: string, number: number, destinationRepo: string): Promise<string>;
  /**
   * Whether the user is an active member of the team with this numeric ID (GitHub's legacy
   * `/teams/{team_id}` routes, which Prow's `github_team_ids` rely on); a pending invitation is not.
   */
  isTeamMemberById(teamId: number, login: string): Promise<boolean>;
  /** Whether the user's GitHub status says they are busy (GraphQL `indicatesLimitedAvailability`). */
  isUserBusy(login: string): Promise<boolean>;

  /** The SHA of the tree a commit records (`GET .../git/commits/{sha}`): equal trees, equal content. */
  getCommitTreeSha(owner: string, repo: string, sha: string): Promise<string>;
  /** The issue's or PR's timeline of events (labeled, unlabeled, …), oldest first, all pages. */
  listIssueEvents(owner: string, repo: string, number: number): Promise<IssueEvent[]>;
  /**
   * The user's permission on the repository as GitHub's `permission` field reports it: `admin`,
   * `write` (maintainers too), `read` or `none`.
   */
  getCollaboratorPermission(owner: string, repo: string, login: string): Promise<RepositoryPermission>;
  /** Inline review comments on a pull request's diff, oldest first, all pages. */
  listReviewComments(owner: string, repo: string, number: number): Promise<ReviewComment[]>;
  /** Submits a review on a pull request, with comments on lines of its diff. */
  createReview(owner: string, repo: string, number: number, review: DraftReview): Promise<void>;
}

/** One entry of an issue's event timeline; `label` is set for labeled and unlabeled events. */
export interface IssueEvent {
  id: number;
  event: string;
  actor: GitHubUser | null;
  label?: { name: string };
  created_at: string;
}

export type RepositoryPermission = 'admin' | 'write' | 'read' | 'none';

/** A comment on a line of a pull request's diff. */
export interface ReviewComment {
  id: number;
  body: string;
  user: GitHubUser;
  path: string;
  created_at: string;
  updated_at: string;
  html_url?: string;
}

/** A review to submit: `event` COMMENT, REQUEST_CHANGES or APPROVE; `position` counts lines of the file's diff. */
export interface DraftReview {
  body: string;
  event: 'COMMENT' | 'REQUEST_CHANGES' | 'APPROVE';
  /** The commit the comments refer to; GitHub takes the PR's head when omitted. */
  commitId?: string;
  comments: { path: string; body: string; position: number }[];
}

/**
 * What a rate-limit answer (403 or 429) said about when to ask again, for callers that wait it
 * out themselves (the outbox writer) instead of letting the client retry.
 */
export interface RateLimitAnswer {
  /** A secondary (abuse) limit rather than the hourly primary quota. */
  secondary: boolean;
  /** GitHub's `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
  /** With the primary quota spent (`x-ratelimit-remaining: 0`): when it resets, ms since the epoch. */
  resetAt?: number;
}

/** A GitHub API failure, with GitHub's status and message. */
export class GitHubError extends Error {
  /** Set when GitHub refused for a rate limit: how long it asked to be left alone. */
  readonly rateLimit: RateLimitAnswer | undefined;
  /** GitHub's own message, without the request and status around it. */
  readonly githubMessage: string;

  constructor(
    readonly status: number,
    message: string,
    readonly request: string,
    details: { rateLimit?: RateLimitAnswer } = {},
  ) {
    super(`${request}: GitHub answered ${status}: ${message}`);
    this.name = 'GitHubError';
    this.githubMessage = message;
    this.rateLimit = details.rateLimit;
  }
}

/**
 * GitHub refused a review request for some of the people or teams asked (422), after the client
 * asked for each on its own so that the others still got theirs.
 */
export class ReviewRequestRefusedError extends GitHubError {
  constructor(
    readonly refused: readonly string[],
    request: string,
  ) {
    super(422, `cannot request review from ${refused.join(', ')}`, request);
    this.name = 'ReviewRequestRefusedError';
  }
}

/** What GitHub's refusal of a merge means, for a caller deciding what to do next. */
export type MergeRefusal = 'not-mergeable' | 'base-modified' | 'head-modified' | 'method-not-allowed' | 'unauthorized' | 'invalid';

/**
 * GitHub refused to merge a pull request (PUT /pulls/{n}/merge answered 405, 409 or 422). The
 * subclasses say why; `reason` says the same for a `switch`.
 */
export abstract class MergeRefusedError extends GitHubError {
  abstract readonly reason: MergeRefusal;
}

/**
 * 405: GitHub will not merge it as it is: a conflict, a draft, branch protection or a ruleset
 * (reviews, required checks), or already merged or closed. Other PRs of the pool may still merge.
 */
export class PullNotMergeableError extends MergeRefusedError {
  readonly reason = 'not-mergeable';
  override name = 'PullNotMergeableError';
}

/**
 * 405 "Base branch was modified": GitHub was still recomputing mergeability after the branch
 * moved (typically right after another merge). Worth trying again a few seconds later.
 */
export class MergeBaseModifiedError extends MergeRefusedError {
  readonly reason = 'base-modified';
  override name = 'MergeBaseModifiedError';
}

/** 409: the PR's head is no longer the SHA asked for: someone pushed; what was tested is not what would merge. */
export class MergeHeadModifiedError extends MergeRefusedError {
  readonly reason = 'head-modified';
  override name = 'MergeHeadModifiedError';
}

/**
 * 405 "Merge commits / Squash merges / Rebase merges are not allowed on this repository": the
 * configured merge method is off in the repository's settings. Every PR of the repo will fail alike.
 */
export class MergeMethodNotAllowedError extends MergeRefusedError {
  readonly reason = 'method-not-allowed';
  override name = 'MergeMethodNotAllowedError';
}

/** 405 "not authorized to push to this branch": branch protection keeps the bot out. Every PR of the branch will fail alike. */
export class MergeUnauthorizedError extends MergeRefusedError {
  readonly reason = 'unauthorized';
  override name = 'MergeUnauthorizedError';
}

/** 422: GitHub found the request itself invalid (an unknown merge method, a malformed SHA). */
export class MergeInvalidError extends MergeRefusedError {
  readonly reason = 'invalid';
  override name = 'MergeInvalidError';
}

/**
 * A branch's protection as GitHub's `PUT .../branches/{branch}/protection` takes it (and, read
 * back, as it stands): people by login, teams and apps by slug. A null section is off.
 */
export interface BranchProtectionSettings {
  required_status_checks: { strict: boolean; contexts: string[] } | null;
  enforce_admins: boolean;
  required_pull_request_reviews: {
    dismiss_stale_reviews: boolean;
    require_code_owner_reviews: boolean;
    required_approving_review_count: number;
    dismissal_restrictions?: { users: string[]; teams: string[] };
    bypass_pull_request_allowances?: { users: string[]; teams: string[] };
  } | null;
  restrictions: { users: string[]; teams: string[]; apps: string[] } | null;
  required_linear_history: boolean;
  allow_force_pushes: boolean;
  allow_deletions: boolean;
  /**
   * Whether commits must be signed. GitHub keeps it apart from the rest (its own endpoint, not in
   * the PUT body); read back, it is always set; in a policy, undefined means the config is silent
   * about it and whatever GitHub has stands, as Prow leaves it.
   */
  required_signatures?: boolean;
}

export interface BranchSummary {
  name: string;
  protected: boolean;
}

export interface OrgRepository {
  name: string;
  archived: boolean;
  private: boolean;
}

/** The GitHub calls of `cutwater branchprotector` (Prow's cmd/branchprotector client). */
export interface BranchProtectionApi {
  getRepository(owner: string, repo: string): Promise<Repository>;
  /** Every repository of the org, all pages. */
  listOrgRepos(org: string): Promise<OrgRepository[]>;
  /** Every branch of the repository, all pages, each with whether it is protected. */
  listBranches(owner: string, repo: string): Promise<BranchSummary[]>;
  /** The branch's protection; undefined when it has none (GitHub answers 404). */
  getBranchProtection(owner: string, repo: string, branch: string): Promise<BranchProtectionSettings | undefined>;
  updateBranchProtection(owner: string, repo: string, branch: string, settings: BranchProtectionSettings): Promise<void>;
  /** Protection off; a branch already unprotected is left alone. */
  removeBranchProtection(owner: string, repo: string, branch: string): Promise<void>;
  /** Signed commits required or not, on a protected branch (GitHub's required_signatures endpoint). */
  setRequiredSignatures(owner: string, repo: string, branch: string, required: boolean): Promise<void>;
  /** Slugs of the apps installed on the org that may write repository contents (needs org admin read). */
  listAppsWithWriteAccess(org: string): Promise<string[]>;
  /** Logins (lower case) of the repository's collaborators with push or admin access. */
  listCollaboratorsWithWriteAccess(owner: string, repo: string): Promise<string[]>;
  /** Slugs of the teams with push, maintain or admin access to the repository. */
  listTeamsWithWriteAccess(owner: string, repo: string): Promise<string[]>;
}

/** A pull request as the cherry-picker finds or opens it. */
export interface OpenedPullRequest {
  number: number;
  htmlUrl: string;
}

/**
 * The GitHub calls of the cherry-picker's worker (functions/cherrypicker), which plugins never
 * get: it pushes with the installation's token, so it runs apart from the plugin engine.
 */
export interface CherryPickApi {
  botLogin(): Promise<string>;
  /** The PR's commits as one mbox (GitHub's `application/vnd.github.patch`), for `git am`. */
  getPullRequestPatch(owner: string, repo: string, number: number): Promise<string>;
  /** PRs of any state whose head is `head` ("owner:branch") and whose base is `base`. */
  findPullRequests(owner: string, repo: string, head: string, base: string): Promise<OpenedPullRequest[]>;
  createPullRequest(
    owner: string,
    repo: string,
    pull: { title: string; body: string; head: string; base: string; maintainerCanModify: boolean },
  ): Promise<OpenedPullRequest>;
  /** Forks the repository for the credentials' user (GitHub answers the existing fork when there is one). */
  createFork(owner: string, repo: string): Promise<{ owner: string; repo: string }>;
  /** The token the client speaks with now, for git over HTTPS; never logged. */
  gitToken(): Promise<string>;
  createComment(owner: string, repo: string, number: number, body: string): Promise<IssueComment>;
  addLabels(owner: string, repo: string, number: number, labels: string[]): Promise<void>;
  addAssignees(owner: string, repo: string, number: number, logins: string[]): Promise<string[]>;
}
