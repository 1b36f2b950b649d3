import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A small wrapper over the `git` CLI for the cherry-picker: a fresh repository in a temp dir,
 * removed whatever happens (`withWorkspace`). Git runs through execFile, never a shell, so branch
 * names from comments are arguments and nothing else; every call has a timeout.
 *
 * Credentials never appear in a URL or an argument: the token goes to git as an
 * `http.extraHeader` in GIT_CONFIG_* environment variables, which no process listing shows, and
 * every error is censored of it before anyone sees it.
 */

export interface GitOptions {
  /** The token for HTTPS remotes; undefined for remotes that need none (local ones in tests). */
  token?: string | undefined;
  /** Per git call. Default two minutes: a clone of a large repository takes a while. */
  timeoutMs?: number;
  /** Who the commits are by (the committer; `git am` keeps each patch's author). */
  user: { name: string; email: string };
}

export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitError';
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;
/** Enough for the output of a failed `git am` on a large patch; more is cut. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** The token and the forms git may show it in (the Basic header's base64), masked in `text`. */
export function censor(text: string, token: string | undefined): string {
  if (!token) return text;
  const secrets = [token, Buffer.from(`x-access-token:${token}`).toString('base64')];
  return secrets.reduce((masked, secret) => masked.split(secret).join('***'), text);
}

export class GitWorkspace {
  private constructor(
    /** The temp dir: the repository lives in `repo/`, scratch files beside it. */
    private readonly root: string,
    private readonly options: GitOptions,
  ) {}

  get repositoryDir(): string {
    return path.join(this.root, 'repo');
  }

  /** Runs `work` in a fresh, empty repository, then removes it whether `work` succeeded or not. */
  static async withWorkspace<T>(options: GitOptions, work: (workspace: GitWorkspace) => Promise<T>): Promise<T> {
    const root = await mkdtemp(path.join(tmpdir(), 'cutwater-cherrypick-'));
    try {
      const workspace = new GitWorkspace(root, options);
      await workspace.git(['init', '--quiet', workspace.repositoryDir], root);
      await workspace.git(['config', 'user.name', options.user.name]);
      await workspace.git(['config', 'user.email', options.user.email]);
      return await work(workspace);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }

  /** A file beside the repository (a patch to apply), answering its path. */
  async writeScratch(name: string, content: string): Promise<string> {
    const file = path.join(this.root, path.basename(name));
    await writeFile(file, content);
    return file;
  }

  /** Fetches one branch of `url` and checks it out as `newBranch`. */
  async checkoutNewBranchFrom(url: string, branch: string, newBranch: string): Promise<void> {
    await this.git(['fetch', '--quiet', '--no-tags', url, `refs/heads/${branch}:refs/remotes/source/${branch}`]);
    await this.git(['checkout', '--quiet', '-b', newBranch, `refs/remotes/source/${branch}`]);
  }

  /** `git am --3way`; on failure the half-applied state is aborted and the error thrown. */
  async applyMailbox(file: string): Promise<void> {
    try {
      await this.git(['am', '--3way', file]);
    } catch (error) {
      await this.git(['am', '--abort']).catch(() => undefined);
      throw error;
    }
  }

  /** Force-pushes HEAD to `branch` of `url`: a retry replaces what an earlier attempt pushed. */
  async forcePush(url: string, branch: string): Promise<void> {
    await this.git(['push', '--quiet', '--force', url, `HEAD:refs/heads/${branch}`]);
  }

  async git(args: readonly string[], cwd: string = this.repositoryDir): Promise<string> {
    const { token } = this.options;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.root,
      // No prompt for a password that will never come, no system or user config to surprise us.
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      LANG: 'C',
      ...(token
        ? {
            GIT_CONFIG_COUNT: '1',
            GIT_CONFIG_KEY_0: 'http.extraHeader',
            GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
          }
        : {}),
    };
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        [...args],
        { cwd, env, timeout: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, killSignal: 'SIGKILL' },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const what = error.killed ? 'timed out' : `failed (exit ${String(error.code ?? 'unknown')})`;
          const output = `${stdout}${stderr}`.trim();
          reject(new GitError(censor(`git ${args[0] ?? ''} ${what}${output ? `:\n${output}` : ''}`, token)));
        },
      );
    });
  }
}
