import { createHash } from 'node:crypto';
import type { FakeGitHub } from './github-server';

/**
 * Local mode's sandbox GitHub, as a person drives it from the `/sandbox` page: open a PR with
 * files, comment, review, push a commit, merge, close. Each action changes the GitHub model
 * (./github-server.ts) as GitHub would, then sends the webhook GitHub would send (built from the
 * model's own JSON) to local mode's `/hook`, signed, so plugins, trigger, the reporter and Tide
 * see it through the same path as a real delivery. The bot's own writes (labels, comments,
 * statuses) change the model but send no webhooks, so plugins that react to labels being added
 * by someone (e.g. a `labeled` event) are not exercised by bot writes here.
 */

export interface SandboxFile {
  path: string;
  content: string;
}

export type ReviewVerdict = 'approve' | 'request_changes' | 'comment';

/** A webhook the sandbox sent, for the page's log. */
export interface SandboxDelivery {
  at: string;
  event: string;
  action: string | undefined;
  repo: string;
  number: number | undefined;
  /** The HTTP status `/hook` answered, or 0 when it could not be reached. */
  status: number;
}

export interface SandboxPullState {
  repo: string;
  number: number;
  title: string;
  body: string;
  author: string;
  state: 'open' | 'closed';
  merged: boolean;
  baseRef: string;
  headSha: string;
  mergeable: boolean | null;
  labels: string[];
  files: SandboxFile[];
  comments: { id: number; user: string; body: string }[];
  reviews: { id: number; user: string; state: string; body: string }[];
  statuses: { context: string; state: string; description: string | null; targetUrl: string | null }[];
}

export interface SandboxState {
  user: string;
  repositories: { fullName: string; defaultBranch: string; head: string | undefined }[];
  pulls: SandboxPullState[];
  deliveries: SandboxDelivery[];
}

/** A user's mistake or GitHub's refusal, said on the page as it is. */
export class SandboxRefusal extends Error {}

export interface SandboxOptions {
  github: FakeGitHub;
  /** The login the page acts as by default: an org member and approver everywhere. */
  user: string;
  repositories: readonly { fullName: string; defaultBranch: string }[];
  /** Sends one webhook to `/hook`, signed; answers the HTTP status. */
  deliver: (event: string, payload: Record<string, unknown>) => Promise<number>;
  now?: () => Date;
}

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;
const MAX_DELIVERIES = 50;
const MAX_FILES = 50;

type Json = Record<string, unknown>;

export class Sandbox {
  readonly user: string;
  readonly #github: FakeGitHub;
  readonly #repositories: readonly { fullName: string; defaultBranch: string }[];
  readonly #deliver: SandboxOptions['deliver'];
  readonly #now: () => Date;
  /** The files each PR changes, with their text: `repo#number` → path → content. */
  readonly #files = new Map<string, Map<string, string>>();
  readonly #deliveries: SandboxDelivery[] = [];
  readonly #tokens = new Map<string, string>();

  constructor(options: SandboxOptions) {
    this.#github = options.github;
    this.user = options.user;
    this.#repositories = options.repositories;
    this.#deliver = options.deliver;
    this.#now = options.now ?? (() => new Date());
  }

  get url(): string {
    return this.#github.url;
  }

  repositories(): readonly { fullName: string; defaultBranch: string }[] {
    return this.#repositories;
  }

  async openPullRequest(input: { repo: string; title: string; body?: string; files: readonly SandboxFile[]; as?: string }): Promise<number> {
    const repo = this.#repository(input.repo);
    const author = this.#login(input.as);
    const title = input.title.trim();
    if (!title) throw new SandboxRefusal('A pull request needs a title.');
    const files = checkedFiles(input.files);
    if (files.length === 0) throw new SandboxRefusal('A pull request changes at least one file: give a path and its content.');
    const number = Math.max(0, ...this.#github.issueNumbers(repo.fullName)) + 1;
    const headSha = this.#sha(`${repo.fullName}#${number}`, files);
    this.#github.addPullRequest(repo.fullName, {
      number,
      author,
      title,
      body: input.body ?? '',
      headSha,
      baseRef: repo.defaultBranch,
      files: files.map((file) => ({ filename: file.path, additions: lineCount(file.content), deletions: 0, status: 'added' })),
    });
    const text = new Map(files.map((file) => [file.path, file.content]));
    this.#files.set(`${repo.fullName}#${number}`, text);
    for (const [path, content] of text) this.#github.setFile(repo.fullName, path, content, headSha);
    await this.#send('pull_request', repo.fullName, number, { action: 'opened', number, pull_request: this.#pull(repo.fullName, number) }, author);
    return number;
  }

  /** The author pushes a commit changing (or adding) `files`: the PR's head moves. */
  async pushCommit(input: { repo: string; number: number; files: readonly SandboxFile[]; as?: string }): Promise<string> {
    const repo = this.#repository(input.repo);
    const pusher = this.#login(input.as);
    const pull = this.#openPull(repo.fullName, input.number);
    const changed = checkedFiles(input.files);
    if (changed.length === 0) throw new SandboxRefusal('A commit changes at least one file: give a path and its content.');
    const key = `${repo.fullName}#${input.number}`;
    const text = this.#files.get(key) ?? new Map<string, string>();
    for (const file of changed) text.set(file.path, file.content);
    this.#files.set(key, text);
    const before = pull.headSha;
    const after = this.#github.pushPullRequestHead(repo.fullName, input.number, {
      sha: this.#sha(`${key}@${before}`, changed),
      files: [...text].map(([path, content]) => ({ filename: path, additions: lineCount(content), deletions: 0, status: 'added' })),
    });
    for (const [path, content] of text) this.#github.setFile(repo.fullName, path, content, after);
    await this.#send(
      'pull_request',
      repo.fullName,
      input.number,
      { action: 'synchronize', number: input.number, before, after, pull_request: this.#pull(repo.fullName, input.number) },
      pusher,
    );
    return after;
  }

  async comment(input: { repo: string; number: number; body: string; as?: string }): Promise<void> {
    const repo = this.#repository(input.repo);
    const commenter = this.#login(input.as);
    this.#issue(repo.fullName, input.number);
    if (!input.body.trim()) throw new SandboxRefusal('The comment is empty.');
    const { id } = this.#github.addComment(repo.fullName, input.number, commenter, input.body);
    await this.#send(
      'issue_comment',
      repo.fullName,
      input.number,
      {
        action: 'created',
        issue: this.#github.webhookJson(repo.fullName, { issue: input.number }),
        comment: this.#github.webhookJson(repo.fullName, { comment: id }),
      },
      commenter,
    );
  }

  async review(input: { repo: string; number: number; verdict: ReviewVerdict; body?: string; as?: string }): Promise<void> {
    const repo = this.#repository(input.repo);
    const reviewer = this.#login(input.as);
    this.#openPull(repo.fullName, input.number);
    const author = this.#github.webhookJson(repo.fullName, { pull: input.number })['user'] as Json;
    // As GitHub: an author may comment on their own PR but not approve it or ask for changes.
    if (input.verdict !== 'comment' && String(author['login']).toLowerCase() === reviewer.toLowerCase()) {
      throw new SandboxRefusal(`GitHub does not let ${reviewer} approve or request changes on their own pull request; review as another login.`);
    }
    const state = ({ approve: 'APPROVED', request_changes: 'CHANGES_REQUESTED', comment: 'COMMENTED' } as const)[input.verdict];
    this.#github.addReview(repo.fullName, input.number, { user: reviewer, state, body: input.body ?? '' });
    const id = this.#github.reviews(repo.fullName, input.number).at(-1)?.id ?? 0;
    const review = this.#github.webhookJson(repo.fullName, { review: { number: input.number, id } });
    // Webhooks spell the state in lower case, unlike the REST API.
    review['state'] = state.toLowerCase();
    await this.#send('pull_request_review', repo.fullName, input.number, { action: 'submitted', review, pull_request: this.#pull(repo.fullName, input.number) }, reviewer);
  }

  /** Merged through GitHub's merge API as `as`, so GitHub's own refusals (conflicts, protection) apply. */
  async merge(input: { repo: string; number: number; as?: string }): Promise<void> {
    const repo = this.#repository(input.repo);
    const merger = this.#login(input.as);
    const pull = this.#openPull(repo.fullName, input.number);
    const before = this.#github.branchHead(repo.fullName, pull.baseRef);
    await this.#api(merger, 'PUT', `/repos/${repo.fullName}/pulls/${input.number}/merge`, { sha: pull.headSha, merge_method: 'merge' });
    const after = this.#github.branchHead(repo.fullName, pull.baseRef);
    await this.#send('pull_request', repo.fullName, input.number, { action: 'closed', number: input.number, pull_request: this.#pull(repo.fullName, input.number) }, merger);
    const files = [...(this.#files.get(`${repo.fullName}#${input.number}`)?.keys() ?? [])];
    const commit = {
      id: after,
      tree_id: after ? this.#github.treeOf(repo.fullName, after) : undefined,
      distinct: true,
      message: `Merge pull request #${input.number}`,
      timestamp: this.#now().toISOString(),
      author: { name: merger, email: `${merger}@sandbox.invalid`, username: merger },
      committer: { name: merger, email: `${merger}@sandbox.invalid`, username: merger },
      added: files,
      removed: [],
      modified: [],
    };
    await this.#send(
      'push',
      repo.fullName,
      undefined,
      {
        ref: `refs/heads/${pull.baseRef}`,
        before,
        after,
        created: false,
        deleted: false,
        forced: false,
        base_ref: null,
        compare: `${String(this.#github.webhookJson(repo.fullName, { repository: true })['html_url'])}/compare/${before?.slice(0, 12)}...${after?.slice(0, 12)}`,
        commits: [commit],
        head_commit: commit,
        pusher: { name: merger, email: `${merger}@sandbox.invalid` },
      },
      merger,
    );
  }

  async close(input: { repo: string; number: number; as?: string }): Promise<void> {
    const repo = this.#repository(input.repo);
    const closer = this.#login(input.as);
    this.#openPull(repo.fullName, input.number);
    await this.#api(closer, 'PATCH', `/repos/${repo.fullName}/pulls/${input.number}`, { state: 'closed' });
    await this.#send('pull_request', repo.fullName, input.number, { action: 'closed', number: input.number, pull_request: this.#pull(repo.fullName, input.number) }, closer);
  }

  state(): SandboxState {
    const github = this.#github;
    const pulls: SandboxPullState[] = [];
    for (const { fullName } of this.#repositories) {
      for (const number of github.issueNumbers(fullName)) {
        const json = github.webhookJson(fullName, { issue: number });
        if (!json['pull_request']) continue;
        const pull = github.pullRequest(fullName, number);
        pulls.push({
          repo: fullName,
          number,
          title: String(json['title']),
          body: typeof json['body'] === 'string' ? json['body'] : '',
          author: String((json['user'] as Json)['login']),
          state: pull.state,
          merged: pull.merged,
          baseRef: pull.baseRef,
          headSha: pull.headSha,
          mergeable: pull.mergeable,
          labels: github.labels(fullName, number),
          files: [...(this.#files.get(`${fullName}#${number}`) ?? [])].map(([path, content]) => ({ path, content })),
          comments: github.comments(fullName, number),
          reviews: github.reviews(fullName, number),
          statuses: github.statuses(fullName, pull.headSha).map((status) => ({
            context: status.context,
            state: status.state,
            description: status.description ?? null,
            targetUrl: status.target_url ?? null,
          })),
        });
      }
    }
    return {
      user: this.user,
      repositories: this.#repositories.map(({ fullName, defaultBranch }) => ({ fullName, defaultBranch, head: github.branchHead(fullName, defaultBranch) })),
      // Newest first: what a person just did is at the top.
      pulls: pulls.reverse(),
      deliveries: [...this.#deliveries].reverse(),
    };
  }

  #repository(fullName: string): { fullName: string; defaultBranch: string } {
    const found = this.#repositories.find((repo) => repo.fullName.toLowerCase() === fullName.trim().toLowerCase());
    if (!found) throw new SandboxRefusal(`The sandbox has no repository ${fullName}; it has ${this.#repositories.map((repo) => repo.fullName).join(', ') || 'none (the config names no repository)'}.`);
    return found;
  }

  #login(as: string | undefined): string {
    const login = as?.trim() || this.user;
    if (!LOGIN.test(login)) throw new SandboxRefusal(`"${login}" is not a GitHub login (letters, digits and hyphens, at most 39).`);
    return login;
  }

  #issue(fullName: string, number: number): void {
    if (!Number.isInteger(number) || !this.#github.issueNumbers(fullName).includes(number)) {
      throw new SandboxRefusal(`${fullName} has no pull request #${number}.`);
    }
  }

  #openPull(fullName: string, number: number): ReturnType<FakeGitHub['pullRequest']> {
    this.#issue(fullName, number);
    const pull = this.#github.pullRequest(fullName, number);
    if (pull.state !== 'open') throw new SandboxRefusal(`${fullName}#${number} is ${pull.merged ? 'merged' : 'closed'}.`);
    return pull;
  }

  #pull(fullName: string, number: number): Json {
    return this.#github.webhookJson(fullName, { pull: number });
  }

  #sha(seed: string, files: readonly SandboxFile[]): string {
    const hash = createHash('sha1').update(seed);
    for (const file of files) hash.update(`\0${file.path}\0${file.content}`);
    return hash.update(`\0${this.#now().toISOString()}\0${Math.random()}`).digest('hex');
  }

  /** A request to the sandbox GitHub as `login`, for actions whose checks GitHub's API makes. */
  async #api(login: string, method: string, path: string, body: Json): Promise<void> {
    let token = this.#tokens.get(login.toLowerCase());
    if (!token) {
      token = this.#github.userToken(login);
      this.#tokens.set(login.toLowerCase(), token);
    }
    const response = await fetch(`${this.#github.url}${path}`, {
      method,
      headers: { authorization: `token ${token}`, 'content-type': 'application/json', accept: 'application/vnd.github+json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const answer = (await response.json().catch(() => ({}))) as { message?: unknown };
      throw new SandboxRefusal(`GitHub refused: ${typeof answer.message === 'string' ? answer.message : `HTTP ${response.status}`}`);
    }
  }

  async #send(event: string, fullName: string, number: number | undefined, payload: Json, sender: string): Promise<void> {
    const full: Json = {
      ...payload,
      repository: this.#github.webhookJson(fullName, { repository: true }),
      organization: { login: fullName.split('/')[0] },
      sender: this.#github.webhookJson(fullName, { user: sender }),
    };
    const status = await this.#deliver(event, full).catch(() => 0);
    this.#deliveries.push({
      at: this.#now().toISOString(),
      event,
      action: typeof payload['action'] === 'string' ? payload['action'] : undefined,
      repo: fullName,
      number,
      status,
    });
    if (this.#deliveries.length > MAX_DELIVERIES) this.#deliveries.shift();
  }
}

function checkedFiles(files: readonly SandboxFile[]): SandboxFile[] {
  const kept = files.map((file) => ({ path: file.path.trim().replace(/^\/+/, ''), content: file.content })).filter((file) => file.path !== '');
  if (kept.length > MAX_FILES) throw new SandboxRefusal(`At most ${MAX_FILES} files at once.`);
  for (const file of kept) {
    if (file.path.split('/').some((part) => part === '..' || part === '.')) throw new SandboxRefusal(`"${file.path}" is not a path in a repository.`);
  }
  return kept;
}

function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}
