import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { App } from '@octokit/app';
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { retry } from '@octokit/plugin-retry';
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling';
import { z } from 'zod';
import { createLogger, type Logger } from '../log/logger';
import { answerOfError, BudgetLedger, budgetRecording, isSecondaryRateLimit, type InstallationBudget, type ResponseHeaders } from './budget';
import { githubApiUrl } from './environment';
import { tokenIdentity } from './identity';
import { conditionalReads, ResponseCache } from './response-cache';
import {
  checkRunState,
  GitHubError,
  MergeBaseModifiedError,
  MergeHeadModifiedError,
  MergeInvalidError,
  MergeMethodNotAllowedError,
  MergeUnauthorizedError,
  PullNotMergeableError,
  ReviewRequestRefusedError,
  type BranchProtectionApi,
  type CherryPickApi,
  type OpenedPullRequest,
  type BranchProtectionSettings,
  type BranchSummary,
  type CheckRun,
  type CombinedStatus,
  type CommitState,
  type CommitStatus,
  type GitHubClient,
  type ReactionContent,
  type GitHubUser,
  type OrgRepository,
  type Issue,
  type IssueChanges,
  type IssueComment,
  type Label,
  type Milestone,
  type MergeableState,
  type MergeOptions,
  type MergeRefusedError,
  type PullRequest,
  type PullRequestCommit,
  type PullRequestFile,
  type RateLimitAnswer,
  type Repository,
  type RepositoryFile,
  type Review,
  type SearchedIssue,
  type SearchResults,
  type TrialMergeHead,
  type TrialMergeResult,
  type DraftReview,
  type IssueEvent,
  type RepositoryPermission,
  type ReviewComment,
} from './client';

/**
 * GitHubClient over GitHub's REST API with @octokit/core. Rate limits are the throttling plugin's
 * job (primary and secondary, honouring retry-after); transient 5xx and network failures are the
 * retry plugin's; following a list's Link headers page by page is the paginate plugin's. Tokens
 * and private keys stay inside Octokit's auth strategies: errors carry only the method, the path
 * and GitHub's message. GETs are conditional, answered from a per-identity cache on 304
 * (response-cache.ts), and every answer's rate-limit headers go to a budget ledger (budget.ts).
 *
 * The outbox writer (shared/outbox/writer.ts) speaks through clients of another flavour
 * (`GitHubClients.writerClientForInstallation`): it paces writes itself, across every instance, so
 * its clients neither pace nor wait out rate limits — a rate-limit answer surfaces at once as a
 * GitHubError saying how long GitHub asked to be left alone — and retry a 5xx only once, quickly.
 */

export interface TokenAuth {
  token: string;
}

export interface AppCredentials {
  /** The App's ID (or its client ID, which GitHub also accepts as the JWT issuer). */
  appId: string | number;
  /** PEM, PKCS#1 as GitHub issues it or PKCS#8. */
  privateKey: string;
}

export interface InstallationAuth extends AppCredentials {
  installationId: number;
}

export type GitHubAuth = TokenAuth | InstallationAuth;

export interface RetryInfo {
  /** `METHOD /path`, without the query string. */
  request: string;
  /** 1 for the first retry. */
  attempt: number;
  reason: string;
}

export interface GitHubConnectionOptions {
  /** Default: GITHUB_API_URL, else https://api.github.com. */
  baseUrl?: string;
  /** Told before every retry, so callers can log rate limiting and GitHub outages. */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Milliseconds per second of GitHub's retry-after, and the unit of the 5xx backoff (1, 4, 9 units
   * before the three retries). 1000 in production; tests make it tiny.
   */
  retryAfterBaseMs?: number;
  /**
   * A rate limit whose wait is longer than this is reported as an error rather than waited out: a
   * serverless handler would time out first. Default 60.
   */
  maxRetryAfterSeconds?: number;
  /**
   * Space writes out as GitHub asks (a second between writes, three between writes that notify
   * people), per identity and per process. Default true; tests against the fake turn it off.
   */
  pacing?: boolean;
  /**
   * Bytes of GET answers kept for conditional requests, across all identities. Default 32 MiB;
   * 0 turns conditional requests off.
   */
  cacheBytes?: number;
  /** Where the low-budget WARNING goes. Default: JSON lines on stdout, which Cloud Logging reads. */
  logger?: Logger;
}

export interface GitHubClientOptions extends GitHubConnectionOptions {
  auth: GitHubAuth;
}

export interface GitHubClientsOptions extends GitHubConnectionOptions {
  /** For an App, installationId is the default for clientForInstallation() without an argument. */
  auth: TokenAuth | (AppCredentials & { installationId?: number });
}

const RETRIES = 3;
/**
 * The writer's clients retry a 5xx once, a second later (the retry plugin waits retryCount²
 * units), so a request never holds the writer for long; the writer backs off itself after that.
 */
const WRITER_RETRIES = 1;
const PER_PAGE = 100;
/** Lists start at page 1, said explicitly, in pages of the most GitHub gives; the paginate plugin follows the Link header from there. */
const FIRST_PAGE = { per_page: PER_PAGE, page: 1 } as const;
/**
 * GitHub's search answers at most 1,000 results per query, whatever the paging: at 100 a page,
 * asking for page 11 is refused with 422.
 */
const SEARCH_CAP = 1000;
/** Trial merges' scratch branches, all under one prefix so that a leftover one is recognisable. */
export const TRIAL_BRANCH_PREFIX = 'cutwater-tide-trial/';
/** GitHub rejects longer status descriptions with 422. */
const MAX_STATUS_DESCRIPTION = 140;
/**
 * 4xx answers are final as far as the retry plugin is concerned: rate-limit 403s and 429s belong
 * to the throttling plugin, which knows how long to wait.
 */
const CLIENT_ERRORS = Array.from({ length: 100 }, (_, offset) => 400 + offset);

type LimiterGroup = NonNullable<ThrottlingOptions['write']>;
type LimitHandler = NonNullable<ThrottlingOptions['onRateLimit']>;

/**
 * Stands in for the throttling plugin's write, search and notification limiters when pacing is
 * off. The plugin only ever calls `key(id).schedule(options, task, ...args)` on them, and the
 * limiter library is not a dependency of ours, hence the structural stand-in and the cast.
 */
const UNPACED: LimiterGroup = {
  key: () => ({
    schedule: (_job: unknown, task: (...args: unknown[]) => unknown, ...args: unknown[]) =>
      Promise.resolve().then(() => task(...args)),
  }),
} as unknown as LimiterGroup;

/**
 * `standard` for reads and for everything but the outbox writer; `outbox-writer` for the writer's
 * clients, which do no pacing and no rate-limit waiting of their own.
 */
type Flavour = 'standard' | 'outbox-writer';

/** The write requests made inside countingWriteRequests(), per call. */
const writeTallies = new AsyncLocalStorage<{ requests: number }>();
/** Minting an installation token is a POST, but creates no content and is not the caller's write. */
const TOKEN_MINT = /\/app\/installations\/[^/]+\/access_tokens/;

/**
 * Runs `call` and adds to `tally.requests` every write request (not GET or HEAD) that any client
 * makes on its behalf — retries and the one-by-one review requests after a refusal included —
 * for callers that must account for each request GitHub counts (the outbox writer's pace).
 */
export function countingWriteRequests<T>(tally: { requests: number }, call: () => Promise<T>): Promise<T> {
  return writeTallies.run(tally, call);
}

function writeCounting() {
  return (octokit: Octokit) => {
    octokit.hook.before('request', (options) => {
      const tally = writeTallies.getStore();
      const method = String(options.method).toUpperCase();
      if (!tally || method === 'GET' || method === 'HEAD' || TOKEN_MINT.test(String(options.url))) return;
      tally.requests++;
    });
  };
}

/** What all Octokits of one GitHubClients share: entries and accounts are kept per identity inside. */
interface SharedState {
  cache: ResponseCache;
  ledger: BudgetLedger;
}

function octokitClass(options: GitHubConnectionOptions, throttleId: string, shared: SharedState, flavour: Flavour = 'standard') {
  const baseUrl = (options.baseUrl ?? githubApiUrl()).replace(/\/+$/, '');
  const retryAfterBaseMs = options.retryAfterBaseMs ?? 1000;
  const maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 60;
  const onRetry = (info: RetryInfo) => {
    try {
      options.onRetry?.(info);
    } catch {
      // A failing log line must not change how the request turns out.
    }
  };
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');

  const waitOutRateLimit =
    (kind: string): LimitHandler =>
    (retryAfter, request, octokit, retryCount) => {
      if (retryCount >= RETRIES || retryAfter > maxRetryAfterSeconds) return false;
      let described = `${request.method} ${request.url}`;
      try {
        described = describeRequest(request.method, octokit.request.endpoint.parse(request).url, basePath);
      } catch {
        // The route template is still a useful description.
      }
      onRetry({ request: described, attempt: retryCount + 1, reason: `${kind}, retrying after ${retryAfter}s` });
      return true;
    };

  // Plugins wrap requests in this order, the first innermost: the ledger sees every attempt as
  // GitHub answered it, the cache turns 304s into answers before the retry plugin sees them.
  const writer = flavour === 'outbox-writer';
  const retries = writer ? WRITER_RETRIES : RETRIES;
  return Octokit.plugin(
    writeCounting(),
    budgetRecording(shared.ledger),
    conditionalReads(shared.cache),
    reportServerErrorRetries(onRetry, basePath, retries),
    retry,
    throttling,
    paginateRest,
  ).defaults({
    baseUrl,
    userAgent: 'cutwater',
    retry: { retries, retryAfterBaseValue: retryAfterBaseMs, doNotRetry: CLIENT_ERRORS },
    throttle: writer
      ? // Both the limiters and the rate-limit retries off: the 403s and 429s reach the writer.
        { enabled: false }
      : {
          id: throttleId,
          retryAfterBaseValue: retryAfterBaseMs,
          onRateLimit: waitOutRateLimit('rate limit'),
          onSecondaryRateLimit: waitOutRateLimit('secondary rate limit'),
          ...(options.pacing === false ? { write: UNPACED, search: UNPACED, notifications: UNPACED } : {}),
        },
  });
}

/** Octokit with Cutwater's plugins and defaults; what OctokitGitHubClient speaks through. */
export type CutwaterOctokit = InstanceType<ReturnType<typeof octokitClass>>;

/**
 * The retry plugin retries silently; this plugin sits inside it and sees every failed attempt, so
 * it can tell the caller about the ones the retry plugin will repeat (every 5xx, up to `retries`).
 */
function reportServerErrorRetries(onRetry: (info: RetryInfo) => void, basePath: string, retries: number) {
  // The retry plugin reuses one options object for all attempts of a request.
  const failures = new WeakMap<object, number>();
  return (octokit: Octokit) => {
    octokit.hook.error('request', (error, options) => {
      const failure = httpFailure(error);
      if (failure && failure.status >= 500) {
        const attempt = (failures.get(options) ?? 0) + 1;
        failures.set(options, attempt);
        if (attempt <= retries) {
          const url = failure.url ?? octokit.request.endpoint.parse(options).url;
          onRetry({
            request: describeRequest(failure.method ?? options.method, url, basePath),
            attempt,
            reason: `GitHub answered ${failure.status}: ${failure.message}`,
          });
        }
      }
      throw error;
    });
  };
}

interface HttpFailure {
  status: number;
  message: string;
  method?: string;
  url?: string;
  headers?: ResponseHeaders;
}

/** Octokit's RequestError, recognised by shape: @octokit/request-error is not our dependency. */
function httpFailure(error: unknown): HttpFailure | undefined {
  if (!(error instanceof Error) || !('status' in error) || typeof error.status !== 'number') return undefined;
  const failure: HttpFailure = { status: error.status, message: error.message };
  if ('request' in error && typeof error.request === 'object' && error.request !== null) {
    const request = error.request as { method?: unknown; url?: unknown };
    if (typeof request.method === 'string') failure.method = request.method;
    if (typeof request.url === 'string') failure.url = request.url;
  }
  const answer = answerOfError(error);
  if (answer) failure.headers = answer.headers;
  return failure;
}

/**
 * What a 403 or 429 says about waiting, by GitHub's documented rules: a secondary limit (429, a
 * Retry-After, or GitHub's message saying so), or the primary quota spent (remaining 0, until
 * x-ratelimit-reset). Undefined for any other refusal, such as a missing permission.
 */
function rateLimitOf(failure: HttpFailure): RateLimitAnswer | undefined {
  const headers = failure.headers;
  if (!headers || (failure.status !== 403 && failure.status !== 429)) return undefined;
  const secondary = isSecondaryRateLimit({ status: failure.status, headers, message: failure.message });
  const spent = String(headers['x-ratelimit-remaining']) === '0';
  if (!secondary && !spent) return undefined;
  const answer: RateLimitAnswer = { secondary };
  const retryAfterMs = retryAfterMsOf(headers['retry-after']);
  if (retryAfterMs !== undefined) answer.retryAfterMs = retryAfterMs;
  const reset = Number(headers['x-ratelimit-reset']);
  if (spent && Number.isFinite(reset) && reset > 0) answer.resetAt = reset * 1000;
  return answer;
}

/** Retry-After is seconds, or (HTTP allows it, GitHub does not send it) a date. */
function retryAfterMsOf(value: string | number | undefined): number | undefined {
  if (value === undefined || String(value).trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(String(value));
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** `METHOD /path`: no origin, no API prefix (GitHub Enterprise's /api/v3), no query string. */
function describeRequest(method: string, url: string, basePath: string): string {
  let path = url.split('?')[0] ?? url;
  try {
    path = new URL(url, 'http://github.invalid').pathname;
  } catch {
    // Keep the query-less text.
  }
  if (basePath && path.startsWith(`${basePath}/`)) path = path.slice(basePath.length);
  return `${method.toUpperCase()} ${path}`;
}

/** A promise computed once, unless it fails: a failed lookup is tried again next time. */
function once<T>(compute: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= compute().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** Shapes as GitHub sends them, only the fields read here; Octokit's own types must fit them. */
interface WireUser {
  login: string;
  type?: string;
}
type WireLabel = string | { name?: string };

function toUser(user: WireUser | null | undefined): GitHubUser {
  // GitHub reports deleted accounts as null; it shows them as "ghost".
  if (!user) return { login: 'ghost' };
  return user.type === undefined ? { login: user.login } : { login: user.login, type: user.type };
}

function labelNames(labels: WireLabel[]): { name: string }[] {
  return labels.flatMap((label) => {
    const name = typeof label === 'string' ? label : label.name;
    return name === undefined ? [] : [{ name }];
  });
}

const REVIEW_STATES: ReadonlySet<string> = new Set(['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED', 'PENDING']);
const COMMIT_STATES: ReadonlySet<string> = new Set(['error', 'failure', 'pending', 'success']);

function commitState(state: string, otherwise: CommitState): CommitState {
  return COMMIT_STATES.has(state) ? (state as CommitState) : otherwise;
}

const MERGEABLE_STATES: ReadonlySet<string> = new Set(['clean', 'unstable', 'has_hooks', 'blocked', 'behind', 'dirty', 'draft', 'unknown']);

function mergeableState(state: string | undefined): MergeableState {
  return state !== undefined && MERGEABLE_STATES.has(state) ? (state as MergeableState) : 'unknown';
}

/**
 * GitHub's refusals of a merge, told apart by status and message as GitHub words them (Prow's
 * github client reads the same messages).
 */
function mergeRefusalOf(error: GitHubError): MergeRefusedError | undefined {
  const { status, githubMessage: message, request } = error;
  if (status === 409) return new MergeHeadModifiedError(status, message, request);
  if (status === 422) {
    return /merge.?method|are not allowed/i.test(message)
      ? new MergeMethodNotAllowedError(status, message, request)
      : new MergeInvalidError(status, message, request);
  }
  if (status !== 405) return undefined;
  if (/base branch was modified/i.test(message)) return new MergeBaseModifiedError(status, message, request);
  if (/not authorized to push/i.test(message)) return new MergeUnauthorizedError(status, message, request);
  if (/(merge commits|squash merges|rebase merges) are not allowed/i.test(message)) {
    return new MergeMethodNotAllowedError(status, message, request);
  }
  return new PullNotMergeableError(status, message, request);
}

/** `https://api.github.com/repos/{owner}/{name}` (any API host or prefix) → `owner/name`. */
function repoOfUrl(url: string): string {
  const [owner, name] = url.replace(/\/+$/, '').split('/').slice(-2);
  return `${owner ?? ''}/${name ?? ''}`;
}

function truncate(text: string, length: number): string {
  const characters = [...text];
  return characters.length <= length ? text : `${characters.slice(0, length - 1).join('')}…`;
}

export class OctokitGitHubClient implements GitHubClient, BranchProtectionApi, CherryPickApi {
  private readonly octokit: () => Promise<CutwaterOctokit>;
  readonly botLogin: () => Promise<string>;

  /**
   * @param octokit the Octokit to speak through, or how to make it on first use.
   * @param lookUpLogin how to learn the bot's login; asked once, the answer is kept.
   */
  constructor(
    octokit: CutwaterOctokit | (() => Promise<CutwaterOctokit>),
    lookUpLogin: () => Promise<string>,
  ) {
    this.octokit = typeof octokit === 'function' ? once(octokit) : () => Promise.resolve(octokit);
    this.botLogin = once(lookUpLogin);
  }

  async getPullRequest(owner: string, repo: string, number: number): Promise<PullRequest> {
    const { data } = await this.send((octokit) =>
      octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo, pull_number: number }),
    );
    const pull: PullRequest = {
      number: data.number,
      title: data.title,
      body: data.body,
      state: data.state === 'closed' ? 'closed' : 'open',
      mergeable: data.mergeable,
      mergeable_state: mergeableState(data.mergeable_state),
      merge_commit_sha: data.merge_commit_sha,
      user: toUser(data.user),
      head: {
        ref: data.head.ref,
        sha: data.head.sha,
        repo: data.head.repo ? { full_name: data.head.repo.full_name } : null,
      },
      base: {
        ref: data.base.ref,
        sha: data.base.sha,
        repo: {
          full_name: data.base.repo.full_name,
          name: data.base.repo.name,
          owner: { login: data.base.repo.owner.login },
        },
      },
      labels: labelNames(data.labels),
      html_url: data.html_url,
      merged: data.merged,
      additions: data.additions,
      deletions: data.deletions,
      author_association: data.author_association,
    };
    if (data.draft !== undefined) pull.draft = data.draft;
    if (data.assignees) pull.assignees = data.assignees.map(toUser);
    if (data.requested_reviewers) pull.requested_reviewers = data.requested_reviewers.map(toUser);
    return pull;
  }

  async listPullRequestFiles(owner: string, repo: string, number: number): Promise<PullRequestFile[]> {
    const files = await this.send((octokit) =>
      octokit.paginate('GET /repos/{owner}/{repo}/pulls/{pull_number}/files', { owner, repo, pull_number: number, ...FIRST_PAGE }),
    );
    return files.map((file) => {
      const mapped: PullRequestFile = {
        filename: file.filename,
        status: file.status,
        additions: file.additions,
        deletions: file.deletions,
        changes: file.changes,
      };
      if (file.previous_filename !== undefined) mapped.previous_filename = file.previous_filename;
      return mapped;
    });
  }

  async listPullRequestCommits(owner: string, repo: string, number: number): Promise<PullRequestCommit[]> {
    const commits = await this.send((octokit) =>
      octokit.paginate('GET /repos/{owner}/{repo}/pulls/{pull_number}/commits', { owner, repo, pull_number: number, ...FIRST_PAGE }),
    );
    return commits.map((commit) => ({
      sha: commit.sha,
      message: commit.commit.message,
      parents: commit.parents.map((parent) => parent.sha),
    }));
  }

  async listReviews(owner: string, repo: string, number: number): Promise<Review[]> {
    const reviews = await this.send((octokit) =>
      octokit.paginate('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { owner, repo, pull_number: number, ...FIRST_PAGE }),
    );
    return reviews.map((review) => {
      const mapped: Review = {
        id: Number(review.id),
        user: toUser(review.user),
        body: review.body,
        // GitHub documents exactly these five; anything else would be a new kind of review.
        state: REVIEW_STATES.has(review.state) ? (review.state as Review['state']) : 'COMMENTED',
      };
      if (review.submitted_at !== undefined) mapped.submitted_at = review.submitted_at;
      return mapped;
    });
  }

  /**
   * GitHub refuses the whole request (422) if any one login cannot review (not a collaborator, or
   * the author). Then each login is asked for on its own, so the others still get the request,
   * and the refused ones are reported in one GitHubError afterwards.
   */
  async removeRequestedReviewers(owner: string, repo: string, number: number, logins: string[]): Promise<void> {
    // A team of another organisation cannot have been asked here; as in Prow, it is left out.
    const withdrawable = logins.filter((login) => !isForeignTeam(owner, login));
    if (withdrawable.length === 0) return;
    await this.send((octokit) =>
      octokit.request('DELETE /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', {
        owner,
        repo,
        pull_number: number,
        ...reviewersOf(withdrawable),
      }),
    );
  }

  async requestReviewers(owner: string, repo: string, number: number, logins: string[]): Promise<void> {
    // GitHub only takes the repository owner's teams, by slug: `other-org/team` would silently
    // become this org's team of the same name, so it is refused here as GitHub refuses a stranger.
    const foreign = logins.filter((login) => isForeignTeam(owner, login));
    const askable = logins.filter((login) => !isForeignTeam(owner, login));
    const request = `POST /repos/${owner}/${repo}/pulls/${number}/requested_reviewers`;
    try {
      await this.requestAskableReviewers(owner, repo, number, askable);
    } catch (error) {
      if (foreign.length > 0 && error instanceof ReviewRequestRefusedError) {
        throw new ReviewRequestRefusedError([...error.refused, ...foreign], error.request);
      }
      throw error;
    }
    if (foreign.length > 0) throw new ReviewRequestRefusedError(foreign, request);
  }

  private async requestAskableReviewers(owner: string, repo: string, number: number, logins: string[]): Promise<void> {
    if (logins.length === 0) return;
    const ask = (reviewers: string[]) =>
      this.send((octokit) =>
        octokit.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', {
          owner,
          repo,
          pull_number: number,
          ...reviewersOf(reviewers),
        }),
      );
    try {
      await ask(logins);
      return;
    } catch (error) {
      if (!(error instanceof GitHubError) || error.status !== 422) throw error;
      // One reviewer refused is a refusal like any other (Prow tells the commenter), not a failure.
      if (logins.length === 1) throw new ReviewRequestRefusedError(logins, error.request);
    }
    const refused: string[] = [];
    let lastRefusal: GitHubError | undefined;
    for (const login of logins) {
      try {
        await ask([login]);
      } catch (error) {
        if (!(error instanceof GitHubError) || error.status !== 422) throw error;
        refused.push(login);
        lastRefusal = error;
      }
    }
    if (lastRefusal) throw new ReviewRequestRefusedError(refused, lastRefusal.request);
  }

  async countSearchResults(query: string): Promise<number> {
    const { data } = await this.send((octokit) =>
      octokit.request('GET /search/issues', { q: query, per_page: 1 }),
    );
    return data.total_count;
  }

  async searchIssues(query: string): Promise<SearchResults> {
    const found = new Map<string, SearchedIssue>();
    let incomplete = false;
    // Past GitHub's 1,000 results, the same search goes on from the creation time of the last
    // result seen (results come oldest first); those created in that same second come again and
    // are kept once. A query with a `created:` of its own cannot be narrowed that way.
    const narrowable = !/(^|\s)-?created:/i.test(query);
    let createdFrom: string | undefined;
    for (;;) {
      const round = await this.searchUpToCap(createdFrom === undefined ? query : `${query} created:>=${createdFrom}`);
      incomplete ||= round.incomplete;
      let added = 0;
      for (const item of round.items) {
        const key = `${item.repo.toLowerCase()}#${item.number}`;
        if (found.has(key)) continue;
        found.set(key, item);
        added++;
      }
      if (round.items.length < SEARCH_CAP || round.total <= round.items.length) break;
      const last = round.items.at(-1)?.created_at;
      if (!narrowable || added === 0 || last === undefined) {
        incomplete = true;
        break;
      }
      createdFrom = last;
    }
    return { items: [...found.values()], incomplete };
  }

  async searchPullRequests(query: string): Promise<SearchResults> {
    const { items, incomplete } = await this.searchIssues(query);
    return { items: items.filter((item) => item.pullRequest && item.state === 'open'), incomplete };
  }

  /** One query's results up to GitHub's cap, oldest first, page by page. */
  private async searchUpToCap(query: string): Promise<{ items: SearchedIssue[]; total: number; incomplete: boolean }> {
    const items: SearchedIssue[] = [];
    let total = 0;
    let incomplete = false;
    for (let page = 1; page <= SEARCH_CAP / PER_PAGE; page++) {
      const { data } = await this.send((octokit) =>
        octokit.request('GET /search/issues', { q: query, sort: 'created', order: 'asc', per_page: PER_PAGE, page }),
      );
      total = data.total_count;
      incomplete ||= data.incomplete_results;
      for (const item of data.items) {
        items.push({
          number: item.number,
          repo: repoOfUrl(item.repository_url),
          title: item.title,
          author: toUser(item.user).login,
          labels: labelNames(item.labels).map((label) => label.name),
          milestone: item.milestone?.title ?? null,
          state: item.state === 'closed' ? 'closed' : 'open',
          pullRequest: item.pull_request !== undefined,
          draft: item.draft ?? false,
          created_at: item.created_at,
          updated_at: item.updated_at,
          html_url: item.html_url,
        });
      }
      if (data.items.length < PER_PAGE || items.length >= Math.min(total, SEARCH_CAP)) break;
    }
    return { items, total, incomplete };
  }

  async getRepository(owner: string, repo: string): Promise<Repository> {
    const { data } = await this.send((octokit) => octokit.request('GET /repos/{owner}/{repo}', { owner, repo }));
    // GitHub leaves the merge settings out for callers without push access; GitHub's defaults
    // then, and a merge method that is off shows as a MergeMethodNotAllowedError when merging.
    return {
      full_name: data.full_name,
      default_branch: data.default_branch,
      archived: data.archived,
      allow_merge_commit: data.allow_merge_commit ?? true,
      allow_squash_merge: data.allow_squash_merge ?? true,
      allow_rebase_merge: data.allow_rebase_merge ?? true,
    };
  }

  async listOrgRepos(org: string): Promise<OrgRepository[]> {
    const repos = await this.send((octokit) => octokit.paginate('GET /orgs/{org}/repos', { org, type: 'all', ...FIRST_PAGE }));
    return repos.map((repo) => ({ name: repo.name, archived: repo.archived ?? false, private: repo.private }));
  }

  async listBranches(owner: string, repo: string): Promise<BranchSummary[]> {
    const branches = await this.send((octokit) => octokit.paginate('GET /repos/{owner}/{repo}/branches', { owner, repo, ...FIRST_PAGE }));
    return branches.map((branch) => ({ name: branch.name, protected: branch.protected }));
  }

  async getBranchProtection(owner: string, repo: string, branch: string): Promise<BranchProtectionSettings | undefined> {
    const response = await this.sendUnlessGone((octokit) =>
      octokit.request('GET /repos/{owner}/{repo}/branches/{branch}/protection', { owner, repo, branch }),
    );
    if (!response) return undefined;
    const { data } = response;
    const logins = (users: readonly ({ login?: string } | null)[] | undefined) => (users ?? []).flatMap((user) => (user?.login ? [user.login] : []));
    const slugs = (items: readonly ({ slug?: string | null } | null)[] | undefined) => (items ?? []).flatMap((item) => (item?.slug ? [item.slug] : []));
    const reviews = data.required_pull_request_reviews;
    return {
      required_status_checks: data.required_status_checks
        ? { strict: data.required_status_checks.strict ?? false, contexts: [...data.required_status_checks.contexts] }
        : null,
      enforce_admins: data.enforce_admins?.enabled ?? false,
      required_pull_request_reviews: reviews
        ? {
            dismiss_stale_reviews: reviews.dismiss_stale_reviews ?? false,
            require_code_owner_reviews: reviews.require_code_owner_reviews ?? false,
            required_approving_review_count: reviews.required_approving_review_count ?? 0,
            ...(reviews.dismissal_restrictions
              ? { dismissal_restrictions: { users: logins(reviews.dismissal_restrictions.users), teams: slugs(reviews.dismissal_restrictions.teams) } }
              : {}),
            ...(reviews.bypass_pull_request_allowances
              ? {
                  bypass_pull_request_allowances: {
                    users: logins(reviews.bypass_pull_request_allowances.users),
                    teams: slugs(reviews.bypass_pull_request_allowances.teams),
                  },
                }
              : {}),
          }
        : null,
      restrictions: data.restrictions
        ? { users: logins(data.restrictions.users), teams: slugs(data.restrictions.teams), apps: slugs(data.restrictions.apps) }
        : null,
      required_linear_history: data.required_linear_history?.enabled ?? false,
      allow_force_pushes: data.allow_force_pushes?.enabled ?? false,
      allow_deletions: data.allow_deletions?.enabled ?? false,
      required_signatures: data.required_signatures?.enabled ?? false,
    };
  }

  async updateBranchProtection(owner: string, repo: string, branch: string, settings: BranchProtectionSettings): Promise<void> {
    // Signatures have their own endpoint; the PUT refuses the field.
    const { required_signatures: _separate, ...body } = settings;
    await this.send((octokit) => octokit.request('PUT /repos/{owner}/{repo}/branches/{branch}/protection', { owner, repo, branch, ...body }));
  }

  async setRequiredSignatures(owner: string, repo: string, branch: string, required: boolean): Promise<void> {
    if (required) {
      await this.send((octokit) =>
        octokit.request('POST /repos/{owner}/{repo}/branches/{branch}/protection/required_signatures', { owner, repo, branch }),
      );
    } else {
      await this.sendUnlessGone((octokit) =>
        octokit.request('DELETE /repos/{owner}/{repo}/branches/{branch}/protection/required_signatures', { owner, repo, branch }),
      );
    }
  }

  async removeBranchProtection(owner: string, repo: string, branch: string): Promise<void> {
    await this.sendUnlessGone((octokit) => octokit.request('DELETE /repos/{owner}/{repo}/branches/{branch}/protection', { owner, repo, branch }));
  }

  async listAppsWithWriteAccess(org: string): Promise<string[]> {
    const installations = await this.send((octokit) => octokit.paginate('GET /orgs/{org}/installations', { org, ...FIRST_PAGE }));
    return installations.flatMap((installation) => (installation.permissions.contents === 'write' && installation.app_slug ? [installation.app_slug] : []));
  }

  async listCollaboratorsWithWriteAccess(owner: string, repo: string): Promise<string[]> {
    const collaborators = await this.send((octokit) =>
      octokit.paginate('GET /repos/{owner}/{repo}/collaborators', { owner, repo, affiliation: 'all', ...FIRST_PAGE }),
    );
    return collaborators.flatMap((user) => (user.permissions?.push || user.permissions?.admin ? [user.login.toLowerCase()] : []));
  }

  async listTeamsWithWriteAccess(owner: string, repo: string): Promise<string[]> {
    const teams = await this.send((octokit) => octokit.paginate('GET /repos/{owner}/{repo}/teams', { owner, repo, ...FIRST_PAGE }));
    // GitHub's "maintain" includes push, which Prow's older client did not know of.
    return teams.flatMap((team) => (['push', 'maintain', 'admin'].includes(team.permission) ? [team.slug] : []));
  }

  async getBranchHeadSha(owner: string, repo: string, branch: string): Promise<string | undefined> {
    // The singular git/ref route matches the name exactly (git/refs/ would match a prefix).
    const response = await this.sendUnlessGone((octokit) =>
      octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { owner, repo, ref: `heads/${branch}` }),
    );
    return response?.data.object.sha;
  }

  async deleteBranch(owner: string, repo: string, branch: string): Promise<boolean> {
    try {
      await this.send((octokit) => octokit.request('DELETE /repos/{owner}/{repo}/git/refs/{ref}', { owner, repo, ref: `heads/${branch}` }));
      return true;
    } catch (error) {
      // GitHub answers 422 ("Reference does not exist"), not 404, for a branch already gone.
      if (error instanceof GitHubError && (error.status === 404 || error.status === 422) && /does not exist|not found/i.test(error.message)) {
        return false;
      }
      throw error;
    }
  }

  async mergePullRequest(owner: string, repo: string, number: number, options: MergeOptions): Promise<string> {
    try {
      const { data } = await this.send((octokit) =>
        octokit.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', {
          owner,
          repo,
          pull_number: number,
          sha: options.sha,
          merge_method: options.mergeMethod,
          ...(options.commitTitle === undefined ? {} : { commit_title: options.commitTitle }),
          ...(options.commitMessage === undefined ? {} : { commit_message: options.commitMessage }),
        }),
      );
      return data.sha;
    } catch (error) {
      const refusal = error instanceof GitHubError ? mergeRefusalOf(error) : undefined;
      if (!refusal) throw error;
      if (refusal instanceof PullNotMergeableError) {
        // A merge GitHub made but whose answer was lost is refused when the retry asks again.
        const mergeCommit = await this.mergeCommitAt(owner, repo, number, options.sha);
        if (mergeCommit !== undefined) return mergeCommit;
      }
      throw refusal;
    }
  }

  /** The merge commit, if the PR is merged with `sha` as its head; undefined when not, or unknown. */
  private async mergeCommitAt(owner: string, repo: string, number: number, sha: string): Promise<string | undefined> {
    try {
      const pull = await this.getPullRequest(owner, repo, number);
      return pull.merged === true && pull.head.sha === sha && pull.merge_commit_sha ? pull.merge_commit_sha : undefined;
    } catch {
      // The refusal is the answer to give; a failed look at the PR adds nothing to it.
      return undefined;
    }
  }

  async trialMerge(owner: string, repo: string, baseSha: string, heads: readonly TrialMergeHead[]): Promise<TrialMergeResult> {
    const branch = `${TRIAL_BRANCH_PREFIX}${randomBytes(8).toString('hex')}`;
    await this.send((octokit) =>
      octokit.request('POST /repos/{owner}/{repo}/git/refs', { owner, repo, ref: `refs/heads/${branch}`, sha: baseSha }),
    );
    const result: TrialMergeResult = { merged: [], conflicting: [], alreadyIncluded: [] };
    try {
      for (const head of heads) {
        try {
          const response = await this.send((octokit) =>
            octokit.request('POST /repos/{owner}/{repo}/merges', {
              owner,
              repo,
              base: branch,
              head: head.sha,
              commit_message: `Trial merge of #${head.number} at ${head.sha}`,
            }),
          );
          // Octokit's types list only the 201; GitHub answers 204 when the head is already in.
          const status: number = response.status;
          (status === 204 ? result.alreadyIncluded : result.merged).push(head.number);
        } catch (error) {
          if (!(error instanceof GitHubError) || error.status !== 409) throw error;
          result.conflicting.push(head.number);
        }
      }
    } finally {
      try {
        await this.send((octokit) =>
          octokit.request('DELETE /repos/{owner}/{repo}/git/refs/{ref}', { owner, repo, ref: `heads/${branch}` }),
        );
      } catch (error) {
        // GitHub answers 422 for a ref that is not there: gone is what was wanted.
        const gone = error instanceof GitHubError && (error.status === 404 || error.status === 422);
        if (!gone) result.leftoverRef = `refs/heads/${branch}`;
      }
    }
    return result;
  }

  async listCheckRuns(owner: string, repo: string, ref: string): Promise<CheckRun[]> {
    const runs = await this.send((octokit) =>
      octokit.paginate('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { owner, repo, ref, filter: 'latest', ...FIRST_PAGE }),
    );
    return runs.map((run) => {
      const conclusion = run.conclusion ?? null;
      return {
        id: Number(run.id),
        name: run.name,
        status: run.status,
        conclusion,
        state: checkRunState(run.status, conclusion),
        head_sha: run.head_sha,
        details_url: run.details_url ?? null,
      };
    });
  }

  async getIssue(owner: string, repo: string, number: number): Promise<Issue> {
    const { data } = await this.send((octokit) =>
      octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}', { owner, repo, issue_number: number }),
    );
    const issue: Issue = {
      number: data.number,
      title: data.title,
      body: data.body ?? null,
      state: data.state === 'closed' ? 'closed' : 'open',
      user: toUser(data.user),
      labels: labelNames(data.labels),
      assignees: (data.assignees ?? []).map(toUser),
      html_url: data.html_url,
    };
    if (data.pull_request?.url) issue.pull_request = { url: data.pull_request.url };
    return issue;
  }

  async updateIssue(
    owner: string,
    repo: string,
    number: number,
    changes: IssueChanges,
  ): Promise<void> {
    const fields: {
      title?: string;
      body?: string;
      state?: 'open' | 'closed';
      state_reason?: 'completed' | 'not_planned' | 'reopened';
      milestone?: number | null;
    } = {};
    if (changes.title !== undefined) fields.title = changes.title;
    if (changes.body !== undefined) fields.body = changes.body;
    if (changes.state !== undefined) fields.state = changes.state;
    if (changes.stateReason !== undefined) fields.state_reason = changes.stateReason;
    if (changes.milestone !== undefined) fields.milestone = changes.milestone;
    if (Object.keys(fields).length === 0) return;
    await this.send((octokit) =>
      octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
        owner,
        repo,
        issue_number: number,
        ...fields,
      }),
    );
  }

  async listMilestones(owner: string, repo: string): Promise<Milestone[]> {
    const milestones = await this.send((octokit) =>
      octokit.paginate('GET /repos/{owner}/{repo}/milestones', { owner, repo, ...FIRST_PAGE }),
    );
    return milestones.map((milestone) => ({ number: milestone.number, title: milestone.title, state: milestone.state }));
  }

  async listIssueLabels(owner: string, repo: string, number: number): Promise<string[]> {
    const labels = await this.send((octokit) =>
      octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/labels', { owner, repo, issue_number: number, ...FIRST_PAGE }),
    );
    return labels.map((label) => label.name);
  }

  async addLabels(owner: string, repo: string, number: number, labels: string[]): Promise<void> {
    if (labels.length === 0) return;
    await this.send((octokit) =>
      octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {
        owner,
        repo,
        issue_number: number,
        labels,
      }),
    );
  }

  async removeLabel(owner: string, repo: string, number: number, label: string): Promise<void> {
    await this.sendUnlessGone((octokit) =>
      octokit.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', {
        owner,
        repo,
        issue_number: number,
        name: label,
      }),
    );
  }

  async listRepoLabels(owner: string, repo: string): Promise<Label[]> {
    const labels = await this.send((octokit) => octokit.paginate('GET /repos/{owner}/{repo}/labels', { owner, repo, ...FIRST_PAGE }));
    return labels.map((label) => ({ name: label.name, color: label.color, description: label.description }));
  }

  async addAssignees(owner: string, repo: string, number: number, logins: string[]): Promise<string[]> {
    if (logins.length === 0) return [];
    const { data } = await this.send((octokit) =>
      octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/assignees', {
        owner,
        repo,
        issue_number: number,
        assignees: logins,
      }),
    );
    return (data.assignees ?? []).map((user) => toUser(user).login);
  }

  async removeAssignees(owner: string, repo: string, number: number, logins: string[]): Promise<void> {
    if (logins.length === 0) return;
    await this.send((octokit) =>
      octokit.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}/assignees', {
        owner,
        repo,
        issue_number: number,
        assignees: logins,
      }),
    );
  }

  async listComments(owner: string, repo: string, number: number): Promise<IssueComment[]> {
    const comments = await this.send((octokit) =>
      octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number: number, ...FIRST_PAGE }),
    );
    return comments.map(toComment);
  }

  async createComment(owner: string, repo: string, number: number, body: string): Promise<IssueComment> {
    const { data } = await this.send((octokit) =>
      octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        owner,
        repo,
        issue_number: number,
        body,
      }),
    );
    return toComment(data);
  }

  async editComment(owner: string, repo: string, commentId: number, body: string): Promise<void> {
    await this.send((octokit) =>
      octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
        owner,
        repo,
        comment_id: commentId,
        body,
      }),
    );
  }

  async deleteComment(owner: string, repo: string, commentId: number): Promise<void> {
    await this.sendUnlessGone((octokit) =>
      octokit.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', {
        owner,
        repo,
        comment_id: commentId,
      }),
    );
  }

  async createIssueReaction(owner: string, repo: string, number: number, content: ReactionContent): Promise<void> {
    await this.send((octokit) =>
      octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { owner, repo, issue_number: number, content }),
    );
  }

  async createCommentReaction(owner: string, repo: string, _number: number, commentId: number, content: ReactionContent): Promise<void> {
    await this.send((octokit) =>
      octokit.request('POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', { owner, repo, comment_id: commentId, content }),
    );
  }

  async createStatus(owner: string, repo: string, sha: string, status: CommitStatus): Promise<void> {
    await this.send((octokit) =>
      octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
        owner,
        repo,
        sha,
        state: status.state,
        context: status.context,
        ...(status.description ? { description: truncate(status.description, MAX_STATUS_DESCRIPTION) } : {}),
        ...(status.target_url ? { target_url: status.target_url } : {}),
      }),
    );
  }

  /**
   * The combined status pages its statuses like any list; the overall state is on every page. Its
   * answer is an object, not a list, which the paginate plugin would not know how to join.
   */
  async getCombinedStatus(owner: string, repo: string, ref: string): Promise<CombinedStatus> {
    const statuses: CommitStatus[] = [];
    for (let page = 1; ; page++) {
      const { data } = await this.send((octokit) =>
        octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/status', {
          owner,
          repo,
          ref,
          per_page: PER_PAGE,
          page,
        }),
      );
      for (const status of data.statuses) {
        statuses.push({
          state: commitState(status.state, 'error'),
          context: status.context,
          description: status.description,
          target_url: status.target_url,
        });
      }
      if (data.statuses.length < PER_PAGE || statuses.length >= data.total_count) {
        return { state: commitState(data.state, 'pending'), sha: data.sha, statuses };
      }
    }
  }

  async isOrgMember(org: string, login: string): Promise<boolean> {
    // GitHub redirects (302) to the public-members check when it will not show private
    // membership to the asker; that is not an answer of "member", so the redirect is not followed.
    const response = await this.sendUnlessGone((octokit) =>
      octokit.request('GET /orgs/{org}/members/{username}', {
        org,
        username: login,
        request: { redirect: 'manual' },
      }),
    );
    // Octokit's types list only the 302; the member answer is a 204 without a body.
    const status: number | undefined = response?.status;
    return status === 204;
  }

  async isCollaborator(owner: string, repo: string, login: string): Promise<boolean> {
    const response = await this.sendUnlessGone((octokit) =>
      octokit.request('GET /repos/{owner}/{repo}/collaborators/{username}', { owner, repo, username: login }),
    );
    return response?.status === 204;
  }

  async isTeamMember(org: string, teamSlug: string, login: string): Promise<boolean> {
    const response = await this.sendUnlessGone((octokit) =>
      octokit.request('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', {
        org,
        team_slug: teamSlug,
        username: login,
      }),
    );
    // A "pending" membership is an invitation not yet accepted.
    return response?.data.state === 'active';
  }

  async getFileContent(owner: string, repo: string, path: string, ref?: string): Promise<string | undefined> {
    const response = await this.sendUnlessGone((octokit) =>
      octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
        owner,
        repo,
        path,
        ...(ref === undefined ? {} : { ref }),
      }),
    );
    if (!response) return undefined;
    const { data } = response;
    // A directory answers with its listing, and a symlink or submodule with its own shape.
    if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return undefined;
    if (data.encoding !== 'base64') {
      // GitHub leaves files over 1 MB out of this answer (encoding "none").
      throw new GitHubError(
        413,
        `${path} is too large to read through the contents API (encoding ${data.encoding})`,
        `GET /repos/${owner}/${repo}/contents/${path}`,
      );
    }
    return Buffer.from(data.content, 'base64').toString('utf8');
  }

  async listRepositoryFiles(owner: string, repo: string, ref: string): Promise<RepositoryFile[]> {
    const { data } = await this.send((octokit) =>
      octokit.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', { owner, repo, tree_sha: ref, recursive: '1' }),
    );
    if (data.truncated) {
      // GitHub stops at 100,000 entries or 7 MB; a partial listing would silently lose files.
      throw new GitHubError(
        413,
        `the tree of ${owner}/${repo} at ${ref} is too large for one listing (GitHub truncated it)`,
        `GET /repos/${owner}/${repo}/git/trees/${ref}`,
      );
    }
    const files: RepositoryFile[] = [];
    for (const entry of data.tree) {
      // Mode 120000 is a symlink, whose blob holds the link's target rather than file content.
      if (entry.type !== 'blob' || entry.mode === '120000') continue;
      const file: RepositoryFile = { path: entry.path, sha: entry.sha };
      if (entry.size !== undefined) file.size = entry.size;
      files.push(file);
    }
    return files;
  }

  /** Runs one Octokit call, turning its failures into GitHubErrors. */
  async listTags(owner: string, repo: string): Promise<string[]> {
    const tags = await this.send((octokit) => octokit.paginate('GET /repos/{owner}/{repo}/tags', { owner, repo, ...FIRST_PAGE }));
    return tags.map((tag) => tag.name);
  }

  async pinIssue(owner: string, repo: string, number: number): Promise<void> {
    const issueId = await this.issueNodeId(owner, repo, number);
    await this.mutate('mutation($input: PinIssueInput!) { pinIssue(input: $input) { issue { id } } }', { issueId });
  }

  async unpinIssue(owner: string, repo: string, number: number): Promise<void> {
    const issueId = await this.issueNodeId(owner, repo, number);
    await this.mutate('mutation($input: UnpinIssueInput!) { unpinIssue(input: $input) { issue { id } } }', { issueId });
  }

  async transferIssue(owner: string, repo: string, number: number, destinationRepo: string): Promise<string> {
    const [issueId, repositoryId] = await Promise.all([
      this.issueNodeId(owner, repo, number),
      this.send((octokit) => octokit.request('GET /repos/{owner}/{repo}', { owner, repo: destinationRepo })).then(({ data }) => data.node_id),
    ]);
    const data = await this.mutate('mutation($input: TransferIssueInput!) { transferIssue(input: $input) { issue { url } } }', {
      issueId,
      repositoryId,
    });
    return TransferAnswer.parse(data).transferIssue.issue.url;
  }

  async getCommitTreeSha(owner: string, repo: string, sha: string): Promise<string> {
    const { data } = await this.send((octokit) =>
      octokit.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', { owner, repo, commit_sha: sha }),
    );
    return data.tree.sha;
  }

  async listIssueEvents(owner: string, repo: string, number: number): Promise<IssueEvent[]> {
    const events = await this.send((octokit) =>
      octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/events', { owner, repo, issue_number: number, ...FIRST_PAGE }),
    );
    return events.map((event) => {
      const mapped: IssueEvent = {
        id: Number(event.id),
        event: event.event,
        actor: event.actor ? toUser(event.actor) : null,
        created_at: event.created_at,
      };
      const label = 'label' in event ? (event.label as { name?: unknown } | undefined) : undefined;
      if (typeof label?.name === 'string') mapped.label = { name: label.name };
      return mapped;
    });
  }

  async getCollaboratorPermission(owner: string, repo: string, login: string): Promise<RepositoryPermission> {
    const response = await this.sendUnlessGone((octokit) =>
      octokit.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { owner, repo, username: login }),
    );
    // GitHub answers 404 for an account it does not know: no permission at all.
    const permission = response?.data.permission;
    return permission === 'admin' || permission === 'write' || permission === 'read' ? permission : 'none';
  }

  async listReviewComments(owner: string, repo: string, number: number): Promise<ReviewComment[]> {
    const comments = await this.send((octokit) =>
      octokit.paginate('GET /repos/{owner}/{repo}/pulls/{pull_number}/comments', { owner, repo, pull_number: number, ...FIRST_PAGE }),
    );
    return comments.map((comment) => ({
      id: Number(comment.id),
      body: comment.body,
      user: toUser(comment.user),
      path: comment.path,
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      html_url: comment.html_url,
    }));
  }

  async createReview(owner: string, repo: string, number: number, review: DraftReview): Promise<void> {
    await this.send((octokit) =>
      octokit.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
        owner,
        repo,
        pull_number: number,
        body: review.body,
        event: review.event,
        comments: review.comments.map((comment) => ({ path: comment.path, body: comment.body, position: comment.position })),
        ...(review.commitId === undefined ? {} : { commit_id: review.commitId }),
      }),
    );
  }

  async isTeamMemberById(teamId: number, login: string): Promise<boolean> {
    const response = await this.sendUnlessGone((octokit) =>
      octokit.request('GET /teams/{team_id}/memberships/{username}', { team_id: teamId, username: login }),
    );
    // A "pending" membership is an invitation not yet accepted.
    return response?.data.state === 'active';
  }

  async isUserBusy(login: string): Promise<boolean> {
    const data = await this.graphql('query($login: String!) { user(login: $login) { status { indicatesLimitedAvailability } } }', { login });
    return UserStatusAnswer.parse(data ?? {}).user?.status?.indicatesLimitedAvailability ?? false;
  }

  /** GraphQL names issues by their global node ID, which the REST issue answer carries. */
  private async issueNodeId(owner: string, repo: string, number: number): Promise<string> {
    const { data } = await this.send((octokit) =>
      octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}', { owner, repo, issue_number: number }),
    );
    return data.node_id;
  }

  /**
   * One GraphQL mutation taking `$input`. GitHub answers a refused mutation with 200 and an
   * `errors` list, which becomes a GitHubError here like a refused REST call.
   */
  private mutate(query: string, input: Record<string, string>): Promise<unknown> {
    return this.graphql(query, { input });
  }

  private async graphql(query: string, variables: Record<string, unknown>): Promise<unknown> {
    const { data } = await this.send(async (octokit) => {
      const url = graphqlUrl(String(octokit.request.endpoint.DEFAULTS.baseUrl));
      return octokit.request(`POST ${url}`, { query, variables });
    });
    const answer = GraphqlAnswer.parse(data);
    if (answer.errors && answer.errors.length > 0) {
      throw new GitHubError(422, answer.errors.map((error) => error.message).join('; '), `POST /graphql (${query.match(/\{ (\w+)\(/)?.[1] ?? 'query'})`);
    }
    return answer.data;
  }

  // ---- the cherry-picker's calls (CherryPickApi) ----

  async getPullRequestPatch(owner: string, repo: string, number: number): Promise<string> {
    const { data } = await this.send((octokit) =>
      octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        owner,
        repo,
        pull_number: number,
        mediaType: { format: 'patch' },
      }),
    );
    // With the patch media type GitHub answers text, which Octokit passes on as it is.
    if (typeof data !== 'string') throw new Error(`GitHub answered no patch for ${owner}/${repo}#${number}`);
    return data;
  }

  async findPullRequests(owner: string, repo: string, head: string, base: string): Promise<OpenedPullRequest[]> {
    const pulls = await this.send((octokit) =>
      octokit.paginate('GET /repos/{owner}/{repo}/pulls', { owner, repo, head, base, state: 'all', per_page: 100 }),
    );
    return pulls.map((pull) => ({ number: pull.number, htmlUrl: pull.html_url }));
  }

  async createPullRequest(
    owner: string,
    repo: string,
    pull: { title: string; body: string; head: string; base: string; maintainerCanModify: boolean },
  ): Promise<OpenedPullRequest> {
    const { data } = await this.send((octokit) =>
      octokit.request('POST /repos/{owner}/{repo}/pulls', {
        owner,
        repo,
        title: pull.title,
        body: pull.body,
        head: pull.head,
        base: pull.base,
        maintainer_can_modify: pull.maintainerCanModify,
      }),
    );
    return { number: data.number, htmlUrl: data.html_url };
  }

  async createFork(owner: string, repo: string): Promise<{ owner: string; repo: string }> {
    const { data } = await this.send((octokit) => octokit.request('POST /repos/{owner}/{repo}/forks', { owner, repo }));
    return { owner: data.owner.login, repo: data.name };
  }

  async gitToken(): Promise<string> {
    const octokit = await this.octokit();
    // A token's auth answers its token; an installation's mints (or reuses) the installation token.
    const answer = z.object({ token: z.string().min(1) }).safeParse(await octokit.auth({ type: 'installation' }));
    if (!answer.success) throw new Error('the GitHub credentials give no token for git');
    return answer.data.token;
  }

  private async send<T>(call: (octokit: CutwaterOctokit) => Promise<T>): Promise<T> {
    const octokit = await this.octokit();
    return sendWith(octokit, call);
  }

  /** As send, but a 404 (the thing is not there) is an answer: undefined. */
  private async sendUnlessGone<T>(call: (octokit: CutwaterOctokit) => Promise<T>): Promise<T | undefined> {
    try {
      return await this.send(call);
    } catch (error) {
      if (error instanceof GitHubError && error.status === 404) return undefined;
      throw error;
    }
  }
}

const GraphqlAnswer = z.object({
  data: z.unknown().optional(),
  errors: z.array(z.object({ message: z.string() })).optional(),
});

/** A user without a status has `status: null`; an unknown login has `user: null` (with an error). */
const UserStatusAnswer = z.object({
  user: z.object({ status: z.object({ indicatesLimitedAvailability: z.boolean() }).nullable() }).nullable().optional(),
});

const TransferAnswer = z.object({ transferIssue: z.object({ issue: z.object({ url: z.string() }) }) });

/** GitHub's GraphQL endpoint beside its REST API: /graphql, or /api/graphql on Enterprise Server (REST at /api/v3). */
export function graphqlUrl(restBaseUrl: string): string {
  const base = restBaseUrl.replace(/\/+$/, '');
  return base.endsWith('/api/v3') ? `${base.slice(0, -'/v3'.length)}/graphql` : `${base}/graphql`;
}

/** A reviewer written "org/team" whose org is not the repository's owner. */
function isForeignTeam(owner: string, login: string): boolean {
  const slash = login.indexOf('/');
  return slash !== -1 && login.slice(0, slash).toLowerCase() !== owner.toLowerCase();
}

/** GitHub takes people as `reviewers` and teams, by slug, as `team_reviewers`; Prow writes teams "org/team". */
function reviewersOf(logins: readonly string[]): { reviewers: string[]; team_reviewers?: string[] } {
  const people = logins.filter((login) => !login.includes('/'));
  const teams = logins.filter((login) => login.includes('/')).map((team) => team.slice(team.indexOf('/') + 1));
  return teams.length === 0 ? { reviewers: people } : { reviewers: people, team_reviewers: teams };
}

function toComment(comment: {
  /** Octokit allows for IDs beyond 2^53; JSON parsing yields numbers all the same. */
  id: number | bigint;
  body?: string;
  user: WireUser | null;
  created_at: string;
  updated_at: string;
  html_url: string;
}): IssueComment {
  return {
    id: Number(comment.id),
    body: comment.body ?? '',
    user: toUser(comment.user),
    created_at: comment.created_at,
    updated_at: comment.updated_at,
    html_url: comment.html_url,
  };
}

async function sendWith<T>(octokit: CutwaterOctokit, call: (octokit: CutwaterOctokit) => Promise<T>): Promise<T> {
  try {
    return await call(octokit);
  } catch (error) {
    const failure = httpFailure(error);
    if (!failure) throw error;
    const baseUrl = String(octokit.request.endpoint.DEFAULTS.baseUrl);
    const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
    const request = describeRequest(failure.method ?? 'GET', failure.url ?? baseUrl, basePath);
    const rateLimit = rateLimitOf(failure);
    throw new GitHubError(failure.status, failure.message, request, rateLimit ? { rateLimit } : {});
  }
}

async function tokenUserLogin(octokit: CutwaterOctokit): Promise<string> {
  const { data } = await sendWith(octokit, (o) => o.request('GET /user'));
  return data.login;
}

/** An App comments as its bot user, `<slug>[bot]`. */
async function appBotLogin(octokit: CutwaterOctokit): Promise<string> {
  const { data } = await sendWith(octokit, (o) => o.request('GET /app'));
  if (!data?.slug) throw new Error('GitHub did not say the App’s slug (GET /app), so its bot login is unknown');
  return `${data.slug}[bot]`;
}

/**
 * GitHub Apps' keys are PEM files; set through an environment variable they often arrive with
 * their newlines written as `\n`.
 */
function normalizePrivateKey(privateKey: string): string {
  const key = privateKey.includes('\\n') && !privateKey.includes('\n') ? privateKey.replace(/\\n/g, '\n') : privateKey;
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
    throw new Error('the GitHub App private key is not a PEM private key (expected "-----BEGIN ... PRIVATE KEY-----")');
  }
  return key.trim() + '\n';
}

/** The outbox's installation key for token authentication (see GitHubClients.installationKey). */
export const TOKEN_INSTALLATION_KEY = 'token';

type CutwaterApp = App<{ Octokit: ReturnType<typeof octokitClass> }>;

/**
 * Clients for one identity: a token, or a GitHub App and its installations. Webhook payloads say
 * which installation they came from; a client per installation is made once and kept.
 *
 * Each identity has two flavours of client sharing one response cache and one budget ledger:
 * the standard one, and the outbox writer's (see the top of this file), made on first use.
 */
export class GitHubClients {
  private readonly ledger: BudgetLedger;
  private readonly tokenClient: GitHubClient | undefined;
  private readonly app:
    | {
        app: CutwaterApp;
        defaultInstallation: number | undefined;
        botLogin: () => Promise<string>;
        clients: Map<number, GitHubClient>;
        installations: Map<string, Promise<number>>;
      }
    | undefined;
  /** The writer flavour: for a token its one client, for an App an App of its own and a client per installation. */
  private readonly writerFlavour: () => { token: GitHubClient } | { app: CutwaterApp; clients: Map<number, GitHubClient> };

  constructor(options: GitHubClientsOptions) {
    const { auth } = options;
    this.ledger = new BudgetLedger({ logger: options.logger ?? createLogger() });
    const shared: SharedState = {
      cache: new ResponseCache(options.cacheBytes === undefined ? {} : { maxBytes: options.cacheBytes }),
      ledger: this.ledger,
    };
    if ('token' in auth) {
      if (!auth.token) throw new Error('the GitHub token is empty');
      // Tokens of one identity share the throttling plugin's per-process limiters; a hash names them.
      const identity = tokenIdentity(auth.token);
      const octokit = new (octokitClass(options, identity, shared))({ auth: auth.token });
      const botLogin = once(() => tokenUserLogin(octokit));
      this.tokenClient = new OctokitGitHubClient(octokit, botLogin);
      this.writerFlavour = onceValue(() => {
        const writer = new (octokitClass(options, identity, shared, 'outbox-writer'))({ auth: auth.token });
        return { token: new OctokitGitHubClient(writer, botLogin) };
      });
      return;
    }
    const privateKey = normalizePrivateKey(auth.privateKey);
    const app = new App({ appId: auth.appId, privateKey, Octokit: octokitClass(options, `app-${auth.appId}`, shared) });
    this.app = {
      app,
      defaultInstallation: auth.installationId,
      // Installation tokens cannot read GET /app; the App's own JWT can, once for all installations.
      botLogin: once(() => appBotLogin(app.octokit)),
      clients: new Map(),
      installations: new Map(),
    };
    // An App of its own, so its installation Octokits are of the writer's flavour; it mints its own
    // installation tokens (one more request per installation and hour).
    this.writerFlavour = onceValue(() => ({
      app: new App({ appId: auth.appId, privateKey, Octokit: octokitClass(options, `app-${auth.appId}`, shared, 'outbox-writer') }),
      clients: new Map<number, GitHubClient>(),
    }));
  }

  /**
   * The GitHub API budget of every identity these clients have spoken as: each installation, the
   * token, and the App itself (installation tokens and lookups). For the health page and logs.
   */
  budget(): InstallationBudget[] {
    return this.ledger.snapshot();
  }

  /**
   * The client for a repository, for work that starts from a ProwJob rather than a webhook (the
   * reporter): with an App, the installation covering the repository is looked up once and kept.
   */
  async clientForRepository(owner: string, repo: string): Promise<GitHubClient> {
    if (this.tokenClient || !this.app) return this.clientForInstallation();
    return this.clientForInstallation(await this.installationOf(owner, repo));
  }

  /** A client for the installation covering an organisation (Tide's searches over a whole org). */
  async clientForOrg(org: string): Promise<GitHubClient> {
    if (this.tokenClient || !this.app) return this.clientForInstallation();
    const app = this.app;
    const key = `${org}`.toLowerCase();
    let installation = app.installations.get(key);
    if (!installation) {
      installation = app.app.octokit.request('GET /orgs/{org}/installation', { org }).then((response) => response.data.id);
      installation.catch(() => app.installations.delete(key));
      app.installations.set(key, installation);
    }
    return this.clientForInstallation(await installation);
  }

  /** The org's client with the branch-protection calls (`cutwater branchprotector`). */
  async branchProtectionClientForOrg(org: string): Promise<BranchProtectionApi> {
    const client = await this.clientForOrg(org);
    if (!(client instanceof OctokitGitHubClient)) throw new Error('this GitHub client cannot manage branch protection');
    return client;
  }

  /** The repository's client with the cherry-picker's calls (functions/cherrypicker). */
  async cherryPickClientForRepository(owner: string, repo: string): Promise<CherryPickApi> {
    const client = await this.clientForRepository(owner, repo);
    if (!(client instanceof OctokitGitHubClient)) throw new Error('this GitHub client cannot cherry-pick');
    return client;
  }

  private installationOf(owner: string, repo: string): Promise<number> {
    const app = this.app;
    if (!app) throw new Error('GitHubClients has no App');
    const key = `${owner}/${repo}`.toLowerCase();
    let installation = app.installations.get(key);
    if (!installation) {
      installation = app.app.octokit
        .request('GET /repos/{owner}/{repo}/installation', { owner, repo })
        .then((response) => response.data.id);
      // A failed lookup is not remembered: the App may be installed on the repository later.
      installation.catch(() => app.installations.delete(key));
      app.installations.set(key, installation);
    }
    return installation;
  }

  /**
   * The key the write outbox paces an identity's writes under: "token" for a token (whatever
   * installation a payload names, the token is one identity with one budget), else the App
   * installation's ID (shared/outbox/writer.ts writerClientsOf turns it back into a client).
   */
  installationKey(installationId?: number): string {
    if (this.tokenClient) return TOKEN_INSTALLATION_KEY;
    const id = installationId ?? this.app?.defaultInstallation;
    if (id === undefined) {
      throw new Error('no GitHub App installation ID: the event carries none and GITHUB_APP_INSTALLATION_ID is not set');
    }
    return String(id);
  }

  /** installationKey for the installation covering a repository (looked up once with an App). */
  async installationKeyForRepository(owner: string, repo: string): Promise<string> {
    if (this.tokenClient) return TOKEN_INSTALLATION_KEY;
    return this.installationKey(await this.installationOf(owner, repo));
  }

  /** The token's client, or the client for this App installation (default: the configured one). */
  clientForInstallation(installationId?: number): GitHubClient {
    if (this.tokenClient) return this.tokenClient;
    const app = this.app;
    if (!app) throw new Error('GitHubClients has neither a token nor an App');
    const id = installationId ?? app.defaultInstallation;
    if (id === undefined) {
      throw new Error('no GitHub App installation ID: the event carries none and GITHUB_APP_INSTALLATION_ID is not set');
    }
    let client = app.clients.get(id);
    if (!client) {
      // Octokit's App auth fetches the installation token on first use and renews it before it expires.
      client = new OctokitGitHubClient(() => app.app.getInstallationOctokit(id), app.botLogin);
      app.clients.set(id, client);
    }
    return client;
  }

  /**
   * The outbox writer's client for the token or an App installation (as clientForInstallation):
   * no pacing, and a rate-limit answer is a GitHubError at once, carrying GitHub's Retry-After or
   * reset time (`rateLimit`), for the writer to wait out across all instances.
   */
  writerClientForInstallation(installationId?: number): GitHubClient {
    const flavour = this.writerFlavour();
    if ('token' in flavour) return flavour.token;
    const app = this.app;
    const id = installationId ?? app?.defaultInstallation;
    if (!app || id === undefined) {
      throw new Error('no GitHub App installation ID: the outbox entry names none and GITHUB_APP_INSTALLATION_ID is not set');
    }
    let client = flavour.clients.get(id);
    if (!client) {
      client = new OctokitGitHubClient(() => flavour.app.getInstallationOctokit(id), app.botLogin);
      flavour.clients.set(id, client);
    }
    return client;
  }
}

/** A value made on first use and kept (unlike `once`, for values made synchronously). */
function onceValue<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  return new GitHubClients(options).clientForInstallation();
}

/**
 * GitHub credentials from the environment: GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY or
 * GITHUB_APP_PRIVATE_KEY_FILE (and optionally GITHUB_APP_INSTALLATION_ID), else GITHUB_TOKEN.
 * App settings win over a token, since a stray GITHUB_TOKEN in a shell is common. Undefined when
 * nothing is set; an Error naming the missing variable when an App is half configured.
 */
export function githubAuthFromEnv(
  env: NodeJS.ProcessEnv,
): TokenAuth | (AppCredentials & { installationId?: number }) | undefined {
  const setting = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const appId = setting('GITHUB_APP_ID');
  const inlineKey = setting('GITHUB_APP_PRIVATE_KEY');
  const keyFile = setting('GITHUB_APP_PRIVATE_KEY_FILE');
  const installation = setting('GITHUB_APP_INSTALLATION_ID');

  if (appId || inlineKey || keyFile || installation) {
    if (!appId) {
      const present = [inlineKey && 'GITHUB_APP_PRIVATE_KEY', keyFile && 'GITHUB_APP_PRIVATE_KEY_FILE', installation && 'GITHUB_APP_INSTALLATION_ID'].filter(Boolean);
      throw new Error(`${present.join(' and ')} set but GITHUB_APP_ID is not: set GITHUB_APP_ID for GitHub App authentication`);
    }
    if (!inlineKey && !keyFile) {
      throw new Error('GITHUB_APP_ID is set but its private key is not: set GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE');
    }
    if (inlineKey && keyFile) {
      throw new Error('both GITHUB_APP_PRIVATE_KEY and GITHUB_APP_PRIVATE_KEY_FILE are set: set only one');
    }
    const privateKey = normalizePrivateKey(keyFile ? readKeyFile(keyFile) : (inlineKey ?? ''));
    const auth: AppCredentials & { installationId?: number } = { appId, privateKey };
    if (installation) {
      const installationId = Number(installation);
      if (!Number.isSafeInteger(installationId) || installationId <= 0) {
        throw new Error(`GITHUB_APP_INSTALLATION_ID must be a positive integer, not "${installation}"`);
      }
      auth.installationId = installationId;
    }
    return auth;
  }
  const token = setting('GITHUB_TOKEN');
  return token ? { token } : undefined;
}

function readKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read GITHUB_APP_PRIVATE_KEY_FILE ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
