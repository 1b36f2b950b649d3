import type { Octokit } from '@octokit/core';
import { z } from 'zod';
import type { Logger } from '../log/logger';
import { requestIdentities, type GitHubIdentity } from './identity';

/**
 * The GitHub API budget, per identity (App installation, token, or the App itself), as GitHub
 * reports it on every answer: the primary rate limit from the `X-RateLimit-*` headers, and what
 * this process asked and was answered. It is what the health page shows and what a WARNING in the
 * logs is raised from when an installation is about to run dry.
 *
 * Extension point: the write side (content writes per minute and hour, the outbox's depth and
 * oldest waiting write, writes saved by coalescing) is counted by the outbox, not here; it joins
 * a snapshot as further fields of InstallationBudget, keyed by the same identity.
 */

/** One GitHub rate-limit resource (`core`, `search`, `graphql`, ...) as last reported. */
export interface PrimaryBudget {
  resource: string;
  limit: number;
  remaining: number;
  used: number;
  /** When the window resets and `remaining` is back to `limit`. */
  resetAt: string;
}

export interface InstallationBudget {
  /** `installation-<id>`, `token-<hash>` or `app-<id>` (see identity.ts). */
  identity: string;
  installationId?: number;
  /** Per resource, sorted by name; empty until GitHub has answered with the headers. */
  primary: PrimaryBudget[];
  /** Answers received from GitHub, every attempt counted (retries too). */
  requests: number;
  /** 304 Not Modified answers, each served from the response cache; each cost no primary budget. */
  notModified: number;
  /** 403 or 429 answers for a secondary rate limit. */
  secondaryLimited: number;
  lastAnswerAt?: string;
}

/** Below this share of its limit, a resource's remaining budget is worth a WARNING. */
export const LOW_BUDGET_SHARE = 0.1;

const count = z.coerce.number().int().nonnegative();
/** GitHub's headers; any one missing or malformed (a proxy, an old GHE) and the reading is skipped. */
const rateLimitHeaders = z.object({
  'x-ratelimit-limit': count,
  'x-ratelimit-remaining': count,
  'x-ratelimit-reset': count,
  'x-ratelimit-used': count.optional(),
  'x-ratelimit-resource': z.string().min(1).optional(),
});

export type ResponseHeaders = Record<string, string | number | undefined>;

/** What the ledger needs of one answer from GitHub. */
export interface Answer {
  status: number;
  headers: ResponseHeaders;
  /** GitHub's message for an error answer, which is how a secondary limit without retry-after shows. */
  message?: string;
}

interface Account {
  identity: GitHubIdentity;
  primary: Map<string, PrimaryBudget>;
  requests: number;
  notModified: number;
  secondaryLimited: number;
  lastAnswerAt?: string;
  /** Per resource, the reset time of the window already warned about. */
  warnedFor: Map<string, string>;
}

export interface BudgetLedgerOptions {
  /** Where the low-budget WARNING goes; without one, nothing is logged. */
  logger?: Logger;
  now?: () => Date;
}

export function isSecondaryRateLimit(answer: Answer): boolean {
  if (answer.status !== 403 && answer.status !== 429) return false;
  if (answer.status === 429 || answer.headers['retry-after'] !== undefined) return true;
  return /secondary rate limit/i.test(answer.message ?? '');
}

export class BudgetLedger {
  private readonly accounts = new Map<string, Account>();
  private readonly logger: Logger | undefined;
  private readonly now: () => Date;

  constructor(options: BudgetLedgerOptions = {}) {
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
  }

  record(identity: GitHubIdentity, answer: Answer): void {
    const account = this.account(identity);
    account.requests++;
    account.lastAnswerAt = this.now().toISOString();
    if (answer.status === 304) account.notModified++;
    if (isSecondaryRateLimit(answer)) account.secondaryLimited++;
    const parsed = rateLimitHeaders.safeParse(answer.headers);
    if (!parsed.success) return;
    const headers = parsed.data;
    const limit = headers['x-ratelimit-limit'];
    const remaining = headers['x-ratelimit-remaining'];
    const budget: PrimaryBudget = {
      resource: headers['x-ratelimit-resource'] ?? 'core',
      limit,
      remaining,
      used: headers['x-ratelimit-used'] ?? Math.max(0, limit - remaining),
      resetAt: new Date(headers['x-ratelimit-reset'] * 1000).toISOString(),
    };
    account.primary.set(budget.resource, budget);
    this.warnIfLow(account, budget);
  }

  /** Every identity heard from, sorted by identity. */
  snapshot(): InstallationBudget[] {
    return [...this.accounts.values()]
      .sort((a, b) => a.identity.key.localeCompare(b.identity.key))
      .map((account) => {
        const budget: InstallationBudget = {
          identity: account.identity.key,
          primary: [...account.primary.values()].sort((a, b) => a.resource.localeCompare(b.resource)).map((p) => ({ ...p })),
          requests: account.requests,
          notModified: account.notModified,
          secondaryLimited: account.secondaryLimited,
        };
        if (account.identity.installationId !== undefined) budget.installationId = account.identity.installationId;
        if (account.lastAnswerAt !== undefined) budget.lastAnswerAt = account.lastAnswerAt;
        return budget;
      });
  }

  /** Once per resource and reset window: the window's later answers would only repeat it. */
  private warnIfLow(account: Account, budget: PrimaryBudget): void {
    if (budget.limit === 0 || budget.remaining >= budget.limit * LOW_BUDGET_SHARE) return;
    if (account.warnedFor.get(budget.resource) === budget.resetAt) return;
    account.warnedFor.set(budget.resource, budget.resetAt);
    const fields: Record<string, unknown> = {
      githubIdentity: account.identity.key,
      rateLimitResource: budget.resource,
      rateLimitRemaining: budget.remaining,
      rateLimitLimit: budget.limit,
      rateLimitResetAt: budget.resetAt,
    };
    if (account.identity.installationId !== undefined) fields.installationId = account.identity.installationId;
    this.logger?.warn(
      `GitHub API budget low for ${account.identity.key}: ${budget.remaining} of ${budget.limit} ${budget.resource} requests left until ${budget.resetAt}`,
      fields,
    );
  }

  private account(identity: GitHubIdentity): Account {
    let account = this.accounts.get(identity.key);
    if (!account) {
      account = { identity, primary: new Map(), requests: 0, notModified: 0, secondaryLimited: 0, warnedFor: new Map() };
      this.accounts.set(identity.key, account);
    }
    return account;
  }
}

/** Octokit's RequestError, by shape: its status, the answer's headers, GitHub's message. */
export function answerOfError(error: unknown): Answer | undefined {
  if (!(error instanceof Error) || !('status' in error) || typeof error.status !== 'number') return undefined;
  const response = 'response' in error ? (error.response as { headers?: ResponseHeaders } | undefined) : undefined;
  // A network failure has no answer; octokit gives it status 500 but no response.
  if (!response?.headers) return undefined;
  return { status: error.status, headers: response.headers, message: error.message };
}

/**
 * An Octokit plugin that tells the ledger about every answer. Registered first, so it sits
 * closest to the network and sees every attempt, including the ones retried and the 304s that
 * the response cache turns into answers.
 */
export function budgetRecording(ledger: BudgetLedger) {
  return (octokit: Octokit, options: { auth?: unknown }) => {
    const identityOf = requestIdentities(options.auth);
    octokit.hook.wrap('request', async (request, requestOptions) => {
      const identity = identityOf(requestOptions.url);
      try {
        const response = await request(requestOptions);
        ledger.record(identity, { status: response.status, headers: response.headers as ResponseHeaders });
        return response;
      } catch (error) {
        const answer = answerOfError(error);
        if (answer) ledger.record(identity, answer);
        throw error;
      }
    });
  };
}
