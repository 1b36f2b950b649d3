import { readFileSync } from 'node:fs';
import { App } from '@octokit/app';
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { githubApiUrl } from '../../../shared/github/environment.js';

/** Octokit with pagination: `github.request('GET /repos/{owner}/{repo}/labels', …)`, `github.paginate(…)`. */
export const GitHubOctokit = Octokit.plugin(paginateRest);
export type GitHub = InstanceType<typeof GitHubOctokit>;

/**
 * How the plugin authenticates: as a GitHub App (its installation token for the installation that
 * sent each event, as Cutwater itself does) or with one token.
 */
export type GitHubCredentials =
  | { token: string; apiUrl?: string }
  | { appId: string; privateKey: string; apiUrl?: string };

/**
 * Credentials from the variables Cutwater itself reads: GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY
 * or GITHUB_APP_PRIVATE_KEY_FILE, else GITHUB_TOKEN; GITHUB_API_URL for GitHub Enterprise or a fake.
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): GitHubCredentials | undefined {
  const apiUrl = githubApiUrl(env);
  const appId = env.GITHUB_APP_ID;
  const keyFile = env.GITHUB_APP_PRIVATE_KEY_FILE;
  const privateKey = env.GITHUB_APP_PRIVATE_KEY || (keyFile ? readFileSync(keyFile, 'utf8') : undefined);
  if (appId && privateKey) return { appId, privateKey, apiUrl };
  if (env.GITHUB_TOKEN) return { token: env.GITHUB_TOKEN, apiUrl };
  return undefined;
}

/** Clients per installation; an App's installation tokens are minted and renewed by @octokit/app. */
export function githubClients(credentials: GitHubCredentials | undefined): (installationId: number | undefined) => Promise<GitHub> {
  if (!credentials) {
    return () => Promise.reject(new Error('no GitHub credentials: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY(_FILE), or GITHUB_TOKEN'));
  }
  const baseUrl = (credentials.apiUrl ?? githubApiUrl({})).replace(/\/+$/, '');
  if ('token' in credentials) {
    const client = new GitHubOctokit({ auth: credentials.token, baseUrl });
    return () => Promise.resolve(client);
  }
  const app = new App({ appId: credentials.appId, privateKey: credentials.privateKey, Octokit: GitHubOctokit.defaults({ baseUrl }) });
  return async (installationId) => {
    if (installationId === undefined) throw new Error('the event names no App installation, so there is no installation token to act with');
    return app.getInstallationOctokit(installationId);
  };
}

/** The issue or pull request an event concerns, with the calls plugins make most bound to it. */
export interface IssueHandle {
  org: string;
  repo: string;
  number: number;
  createComment(body: string): Promise<void>;
  addLabels(labels: readonly string[]): Promise<void>;
  /** Removing a label the issue does not have is not an error (GitHub's 404 is taken as done). */
  removeLabel(label: string): Promise<void>;
  listLabels(): Promise<string[]>;
}

export function issueHandle(github: GitHub, org: string, repo: string, number: number): IssueHandle {
  const where = { owner: org, repo, issue_number: number };
  return {
    org,
    repo,
    number,
    async createComment(body) {
      await github.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...where, body });
    },
    async addLabels(labels) {
      await github.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', { ...where, labels: [...labels] });
    },
    async removeLabel(label) {
      try {
        await github.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', { ...where, name: label });
      } catch (error) {
        if ((error as { status?: number }).status !== 404) throw error;
      }
    },
    async listLabels() {
      const labels = await github.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/labels', { ...where, per_page: 100 });
      return labels.map((label) => label.name);
    },
  };
}
