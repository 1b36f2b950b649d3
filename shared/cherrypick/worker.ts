import { PermanentMessageError, type ReceivedMessage } from '../bus/bus';
import { GitHubError, type CherryPickApi } from '../github/client';
import type { Logger } from '../log/logger';
import { censor, GitWorkspace } from './git';
import { CherryPickJobSchema, type CherryPickJob } from './job';
import { cherryPickAnswer, cherryPickBody, cherryPickBranch, cherryPickTitle, releaseNoteOf } from './requests';

/**
 * The cherry-picker's worker (functions/cherrypicker; in local mode the same on the in-process
 * bus): for one job, fetch the target branch, apply the parent's patch with `git am --3way`,
 * push the branch, open "[target] title", and say on the parent how it went.
 *
 * Why the patch rather than cherry-picking the merge commit: the patch is the PR's own commits,
 * each with its author and message, whatever merge method the repository uses (a squash, a merge
 * commit with two parents, or a rebase's several commits would each need handling of their own),
 * and it is what Prow applies, so a conflict reads the same as under Prow.
 */

export interface CherryPickWorkerOptions {
  /** The client for the job's repository, with the write credentials. */
  github: (org: string, repo: string) => Promise<CherryPickApi>;
  /**
   * The git URL of a repository: by default GitHub's (`https://github.com/<owner>/<repo>.git`, or
   * the GHE host of GITHUB_API_URL); tests point it at local bare repositories.
   */
  remoteUrl: (owner: string, repo: string) => string;
  /** Whether the remote takes the token (HTTPS); local remotes in tests take none. */
  sendsToken?: boolean;
  log: Logger;
  gitTimeoutMs?: number;
}

/** GitHub's git host for an API URL: github.com for api.github.com, the GHE host for `<host>/api/v3`. */
export function gitRemoteUrlFor(apiUrl: string): (owner: string, repo: string) => string {
  const api = new URL(apiUrl);
  const host = api.hostname === 'api.github.com' ? 'https://github.com' : `${api.protocol}//${api.host}`;
  return (owner, repo) => `${host}/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}.git`;
}

export class CherryPickWorker {
  constructor(private readonly options: CherryPickWorkerOptions) {}

  /** A bus message: malformed ones are dead-lettered at once, as no retry can mend them. */
  async handleMessage(message: ReceivedMessage): Promise<void> {
    let job: CherryPickJob;
    try {
      job = CherryPickJobSchema.parse(JSON.parse(message.data.toString('utf8')));
    } catch (error) {
      throw new PermanentMessageError(`not a cherry-pick job: ${(error as Error).message}`);
    }
    await this.run(job);
  }

  async run(job: CherryPickJob): Promise<void> {
    const { org, repo, number, target } = job;
    const github = await this.options.github(org, repo);
    const log = this.options.log.child({ repo: `${org}/${repo}`, number, target });
    const say = (message: string) => github.createComment(org, repo, number, cherryPickAnswer(job.requester, message, job.comment));
    const branch = cherryPickBranch(number, target);

    const botLogin = await github.botLogin();
    const pushTarget = await this.pushTarget(github, job, botLogin, log);
    const head = pushTarget.owner === org ? branch : `${pushTarget.owner}:${branch}`;

    // A second delivery of the same request, or a pick made earlier: link the PR, open none.
    const existing = await github.findPullRequests(org, repo, `${pushTarget.owner}:${branch}`, target);
    if (existing[0]) {
      log.info('the cherry-pick already has a pull request', { pull: existing[0].number });
      await say(`#${number} was already cherry-picked onto \`${target}\` in ${existing[0].htmlUrl}; I am not opening another.`);
      return;
    }

    const token = this.options.sendsToken === false ? undefined : await github.gitToken();
    const user = { name: botLogin, email: `${botLogin.replace(/\[bot\]$/, '')}@users.noreply.github.com` };
    const outcome = await GitWorkspace.withWorkspace(
      { token, user, ...(this.options.gitTimeoutMs ? { timeoutMs: this.options.gitTimeoutMs } : {}) },
      async (workspace): Promise<string | undefined> => {
        try {
          await workspace.checkoutNewBranchFrom(this.options.remoteUrl(org, repo), target, branch);
        } catch (error) {
          return `could not check out \`${target}\`: ${(error as Error).message}`;
        }
        let patch: string;
        try {
          patch = await github.getPullRequestPatch(org, repo, number);
        } catch (error) {
          return `could not download the patch of #${number} from GitHub, so it has to be cherry-picked by hand.\n<details><summary>Error</summary>${(error as Error).message}</details>`;
        }
        const file = await workspace.writeScratch('parent.patch', patch);
        try {
          await workspace.applyMailbox(file);
        } catch (error) {
          return `#${number} does not apply cleanly on \`${target}\`, so it has to be cherry-picked by hand:\n\`\`\`\n${(error as Error).message}\n\`\`\``;
        }
        try {
          await workspace.forcePush(this.options.remoteUrl(pushTarget.owner, pushTarget.repo), branch);
        } catch (error) {
          return `could not push the cherry-pick branch: ${(error as Error).message}`;
        }
        return undefined;
      },
    );
    if (outcome !== undefined) {
      log.warn('cherry-pick failed', { reason: censor(outcome, token) });
      await say(censor(outcome, token));
      return;
    }

    const title = cherryPickTitle(job.title, job.base, target);
    const body = cherryPickBody({
      number,
      requester: job.assign ? job.requester : undefined,
      releaseNote: releaseNoteOf(job.body),
      chain: job.chain,
      kinds: job.kinds,
    });
    let created;
    try {
      created = await github.createPullRequest(org, repo, { title, body, head, base: target, maintainerCanModify: true });
    } catch (error) {
      const message = censor((error as Error).message, token);
      log.warn('could not open the cherry-pick pull request', { error: message });
      await say(`could not open the cherry-pick pull request: ${message}`);
      return;
    }
    log.info('cherry-pick pull request opened', { pull: created.number });
    await say(`new pull request created: #${created.number}`);
    if (job.labels.length > 0) await github.addLabels(org, repo, created.number, job.labels);
    if (job.assign) {
      // The requester may not be assignable (not in the org); the /assign in the body says who it was for.
      await github.addAssignees(org, repo, created.number, [job.requester]).catch((error: unknown) => {
        log.warn('could not assign the cherry-pick', { error: (error as Error).message });
      });
    }
  }

  /** The bot's fork (made if need be), or the repository itself when so configured or when forking is forbidden. */
  private async pushTarget(
    github: CherryPickApi,
    job: CherryPickJob,
    botLogin: string,
    log: Logger,
  ): Promise<{ owner: string; repo: string }> {
    if (job.pushTo === 'repository') return { owner: job.org, repo: job.repo };
    try {
      return await github.createFork(job.org, job.repo);
    } catch (error) {
      // Private repositories usually cannot be forked; Prow then pushes to the repository itself.
      if (error instanceof GitHubError && error.status === 403) {
        log.warn('forking is forbidden; pushing the cherry-pick branch to the repository itself', { bot: botLogin });
        return { owner: job.org, repo: job.repo };
      }
      throw error;
    }
  }
}
