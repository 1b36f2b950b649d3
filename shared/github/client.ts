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

export interface GitHubClient {
  /** The login Cutwater comments as (the App's bot user, or the token's user). */
  botLogin(): Promise<string>;

  getPullRequest(owner: string, repo: string, number: number): Promise<PullRequest>;
  /** Every changed file, all pages. */
  listPullRequestFiles(owner: string, repo: string, number: number): Promise<PullRequestFile[]>;
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

  getIssue(owner: string, repo: string, number: number): Promise<Issue>;
  updateIssue(
    owner: string,
    repo: string,
    number: number,
    changes: { title?: string; state?: 'open' | 'closed'; stateReason?: 'completed' | 'not_planned' | 'reopened' },
    options?: IssueWriteOptions,
  ): Promise<void>;
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

  constructor(
    readonly status: number,
    message: string,
    readonly request: string,
    details: { rateLimit?: RateLimitAnswer } = {},
  ) {
    super(`${request}: GitHub answered ${status}: ${message}`);
    this.name = 'GitHubError';
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
