import { createRequire } from 'node:module';

/**
 * Webhook payloads for tests, made from GitHub's own examples (@octokit/webhooks-examples) with
 * only the fields a test is about rewritten: the repository, numbers, people, text and SHAs. The
 * rest stays exactly as GitHub sends it, so the code under test meets real payloads.
 */
interface ExampleSet {
  name: string;
  examples: Record<string, unknown>[];
}
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as ExampleSet[];

type Json = Record<string, unknown>;

function example(event: string, pick: (payload: Json) => boolean): Json {
  const found = examples.find((set) => set.name === event)?.examples.find(pick);
  if (!found) throw new Error(`no ${event} example matches`);
  return structuredClone(found);
}

function user(login: string): Json {
  return { login, id: 1000 + login.length, type: login.endsWith('[bot]') ? 'Bot' : 'User', html_url: `https://github.com/${login}` };
}

function repository(fullName: string): Json {
  const [owner = '', name = ''] = fullName.split('/');
  return {
    ...(example('push', () => true)['repository'] as Json),
    name,
    full_name: fullName,
    owner: user(owner),
    html_url: `https://github.com/${fullName}`,
    default_branch: 'main',
    private: false,
  };
}

export interface IssueOptions {
  repo?: string;
  number?: number;
  /** Who opened the issue or PR. */
  author?: string;
  title?: string;
  body?: string;
  labels?: string[];
  assignees?: string[];
  state?: 'open' | 'closed';
  installationId?: number;
}

const DEFAULT_REPO = 'acme/widgets';

function issueFields(options: IssueOptions, isPR: boolean): Json {
  const repo = options.repo ?? DEFAULT_REPO;
  const number = options.number ?? 1;
  const kind = isPR ? 'pull' : 'issues';
  return {
    number,
    title: options.title ?? 'Make widgets faster',
    body: options.body ?? '',
    state: options.state ?? 'open',
    user: user(options.author ?? 'contributor'),
    labels: (options.labels ?? []).map((name) => ({ name })),
    assignees: (options.assignees ?? []).map(user),
    html_url: `https://github.com/${repo}/${kind}/${number}`,
    ...(isPR ? { pull_request: { url: `https://api.github.com/repos/${repo}/pulls/${number}` } } : {}),
  };
}

function envelope(payload: Json, options: { repo?: string; sender: string; installationId?: number }): Json {
  payload['repository'] = repository(options.repo ?? DEFAULT_REPO);
  payload['sender'] = user(options.sender);
  payload['installation'] = { id: options.installationId ?? 4242, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==' };
  delete payload['organization'];
  return payload;
}

/** A comment on an issue or (with `isPR`) a pull request. */
export function issueComment(
  options: IssueOptions & { commenter: string; comment: string; isPR?: boolean; action?: 'created' | 'edited' | 'deleted'; commentId?: number },
): Json {
  const action = options.action ?? 'created';
  const payload = example('issue_comment', (candidate) => candidate['action'] === action);
  const repo = options.repo ?? DEFAULT_REPO;
  payload['issue'] = { ...(payload['issue'] as Json), ...issueFields(options, options.isPR ?? true) };
  payload['comment'] = {
    ...(payload['comment'] as Json),
    id: options.commentId ?? 900_000 + Math.floor(Math.random() * 100_000),
    body: options.comment,
    user: user(options.commenter),
    html_url: `https://github.com/${repo}/pull/${options.number ?? 1}#issuecomment-1`,
  };
  return envelope(payload, { repo, sender: options.commenter, ...(options.installationId ? { installationId: options.installationId } : {}) });
}

export interface PullRequestOptions extends IssueOptions {
  headSha?: string;
  baseRef?: string;
  baseSha?: string;
  headRef?: string;
  draft?: boolean;
  authorAssociation?: string;
  sender?: string;
  /** For `labeled` / `unlabeled`. */
  label?: string;
}

export function pullRequest(
  action: 'opened' | 'reopened' | 'synchronize' | 'ready_for_review' | 'edited' | 'closed' | 'labeled' | 'unlabeled' | 'converted_to_draft',
  options: PullRequestOptions = {},
): Json {
  const payload = example('pull_request', (candidate) => candidate['action'] === action);
  const repo = options.repo ?? DEFAULT_REPO;
  const original = payload['pull_request'] as Json;
  const fields = issueFields(options, true);
  delete fields['pull_request'];
  payload['number'] = options.number ?? 1;
  payload['pull_request'] = {
    ...original,
    ...fields,
    draft: options.draft ?? false,
    merged: false,
    author_association: options.authorAssociation ?? 'CONTRIBUTOR',
    head: {
      ...(original['head'] as Json),
      ref: options.headRef ?? 'feature',
      sha: options.headSha ?? 'f'.repeat(40),
      repo: repository(repo),
      user: user(options.author ?? 'contributor'),
    },
    base: {
      ...(original['base'] as Json),
      ref: options.baseRef ?? 'main',
      sha: options.baseSha ?? 'b'.repeat(40),
      repo: repository(repo),
    },
  };
  if (options.label !== undefined) payload['label'] = { name: options.label };
  return envelope(payload, { repo, sender: options.sender ?? options.author ?? 'contributor', ...(options.installationId ? { installationId: options.installationId } : {}) });
}

export function issue(action: 'opened' | 'edited' | 'closed' | 'reopened' | 'labeled', options: IssueOptions & { sender?: string } = {}): Json {
  const payload = example('issues', (candidate) => candidate['action'] === action);
  payload['issue'] = { ...(payload['issue'] as Json), ...issueFields(options, false) };
  return envelope(payload, { repo: options.repo ?? DEFAULT_REPO, sender: options.sender ?? options.author ?? 'contributor' });
}

export function pullRequestReview(
  options: PullRequestOptions & {
    reviewer: string;
    reviewState: 'approved' | 'changes_requested' | 'commented';
    reviewBody?: string;
    action?: 'submitted' | 'dismissed' | 'edited';
  },
): Json {
  const payload = example('pull_request_review', (candidate) => candidate['action'] === (options.action === 'dismissed' ? 'dismissed' : 'submitted'));
  const pr = pullRequest('opened', options)['pull_request'] as Json;
  payload['action'] = options.action ?? 'submitted';
  payload['pull_request'] = pr;
  payload['review'] = {
    ...(payload['review'] as Json),
    body: options.reviewBody ?? '',
    state: options.reviewState,
    user: user(options.reviewer),
    html_url: `${String(pr['html_url'])}#pullrequestreview-1`,
  };
  return envelope(payload, { repo: options.repo ?? DEFAULT_REPO, sender: options.reviewer });
}

export function push(options: { repo?: string; ref?: string; before?: string; after?: string; pusher?: string; files?: string[]; deleted?: boolean } = {}): Json {
  const payload = example('push', () => true);
  const after = options.after ?? 'c'.repeat(40);
  payload['ref'] = options.ref ?? 'refs/heads/main';
  payload['before'] = options.before ?? 'a'.repeat(40);
  payload['after'] = after;
  payload['deleted'] = options.deleted ?? false;
  payload['created'] = false;
  payload['pusher'] = { name: options.pusher ?? 'merger', email: null };
  payload['commits'] = [{ id: after, message: 'Merge pull request', added: options.files ?? [], removed: [], modified: [] }];
  payload['head_commit'] = { id: after, message: 'Merge pull request', added: options.files ?? [], removed: [], modified: [] };
  return envelope(payload, { repo: options.repo ?? DEFAULT_REPO, sender: options.pusher ?? 'merger' });
}

/** A commit status was set (GitHub's `status` event). */
export function commitStatus(options: {
  repo?: string;
  sha?: string;
  context: string;
  state: 'pending' | 'success' | 'failure' | 'error';
  description?: string;
  sender?: string;
}): Json {
  const payload = example('status', () => true);
  payload['sha'] = options.sha ?? 'f'.repeat(40);
  payload['context'] = options.context;
  payload['state'] = options.state;
  payload['description'] = options.description ?? null;
  return envelope(payload, { repo: options.repo ?? DEFAULT_REPO, sender: options.sender ?? 'cla-bot' });
}

/** A comment on a line of a PR's diff (GitHub's `pull_request_review_comment` event). */
export function pullRequestReviewComment(
  options: PullRequestOptions & { commenter: string; comment: string; path?: string; action?: 'created' | 'edited' | 'deleted' },
): Json {
  const payload = example('pull_request_review_comment', (candidate) => candidate['action'] === (options.action ?? 'created'));
  const pr = pullRequest('opened', options)['pull_request'] as Json;
  payload['pull_request'] = pr;
  payload['comment'] = {
    ...(payload['comment'] as Json),
    body: options.comment,
    path: options.path ?? 'README.md',
    user: user(options.commenter),
    html_url: `${String(pr['html_url'])}#discussion_r1`,
  };
  return envelope(payload, { repo: options.repo ?? DEFAULT_REPO, sender: options.commenter });
}
