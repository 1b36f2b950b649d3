import { randomBytes } from 'node:crypto';

/**
 * The webhooks `cutwater phony --example NAME` sends: complete enough that every plugin's payload
 * check (shared/plugins/delivery-check.ts) accepts them, with the URLs and ids GitHub always sends,
 * so that what a newcomer sends behaves like what GitHub will send.
 */
export interface ExampleTarget {
  /** "org/repo". */
  repo: string;
  /** The branch a pull request targets and a push lands on. */
  branch: string;
  /** Who opens the pull request, comments and pushes. */
  author: string;
  /** The pull request number used by PR and comment examples. */
  number: number;
  /** The comment text (issue_comment.created). */
  body: string;
}

type Json = Record<string, unknown>;

export interface Example {
  readonly event: string;
  readonly summary: string;
  payload(target: ExampleTarget): Json;
}

const WEB = 'https://github.com';
const API = 'https://api.github.com';

function sha(): string {
  return randomBytes(20).toString('hex');
}

function user(login: string): Json {
  return { login, id: 1000 + login.length, type: 'User', site_admin: false, html_url: `${WEB}/${login}`, url: `${API}/users/${login}` };
}

function repository(full: string, branch: string): Json {
  const [owner = '', name = ''] = full.split('/');
  return {
    id: 4242,
    name,
    full_name: full,
    private: false,
    owner: user(owner),
    html_url: `${WEB}/${full}`,
    url: `${API}/repos/${full}`,
    clone_url: `${WEB}/${full}.git`,
    default_branch: branch,
  };
}

/** Fields of an issue or pull request every plugin may read. */
function issueFields(target: ExampleTarget, title: string): Json {
  return {
    number: target.number,
    title,
    body: 'Sent by `cutwater phony --example`.',
    state: 'open',
    user: user(target.author),
    labels: [],
    assignees: [],
    html_url: `${WEB}/${target.repo}/pull/${target.number}`,
    url: `${API}/repos/${target.repo}/pulls/${target.number}`,
    author_association: 'MEMBER',
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
  };
}

function envelope(target: ExampleTarget, payload: Json): Json {
  return { ...payload, repository: repository(target.repo, target.branch), sender: user(target.author) };
}

function pullRequest(target: ExampleTarget): Json {
  const repo = repository(target.repo, target.branch);
  return {
    ...issueFields(target, 'Try Cutwater'),
    draft: false,
    merged: false,
    mergeable: true,
    merge_commit_sha: null,
    merged_at: null,
    head: { ref: 'try-cutwater', sha: sha(), label: `${target.author}:try-cutwater`, user: user(target.author), repo },
    base: { ref: target.branch, sha: sha(), label: `${target.repo.split('/')[0]}:${target.branch}`, repo },
    additions: 12,
    deletions: 3,
    changed_files: 2,
  };
}

export const EXAMPLES: Readonly<Record<string, Example>> = {
  'pull_request.opened': {
    event: 'pull_request',
    summary: 'a pull request is opened (trigger runs its presubmits; size, wip… act on it)',
    payload: (target) => envelope(target, { action: 'opened', number: target.number, pull_request: pullRequest(target) }),
  },
  'issue_comment.created': {
    event: 'issue_comment',
    summary: 'a comment on the pull request (--body TEXT, default "/test all")',
    payload: (target) =>
      envelope(target, {
        action: 'created',
        issue: { ...issueFields(target, 'Try Cutwater'), pull_request: { url: `${API}/repos/${target.repo}/pulls/${target.number}` } },
        comment: {
          id: Number.parseInt(randomBytes(4).toString('hex'), 16),
          body: target.body,
          user: user(target.author),
          html_url: `${WEB}/${target.repo}/pull/${target.number}#issuecomment-1`,
          author_association: 'MEMBER',
          created_at: new Date().toISOString(),
        },
      }),
  },
  push: {
    event: 'push',
    summary: 'a push to the branch (trigger runs its postsubmits)',
    payload: (target) => {
      const after = sha();
      const commit = { id: after, message: 'Try Cutwater', added: ['README.md'], removed: [], modified: [], url: `${WEB}/${target.repo}/commit/${after}` };
      return envelope(target, {
        ref: `refs/heads/${target.branch}`,
        before: sha(),
        after,
        created: false,
        deleted: false,
        forced: false,
        compare: `${WEB}/${target.repo}/compare/${target.branch}`,
        pusher: { name: target.author, email: null },
        commits: [commit],
        head_commit: commit,
      });
    },
  },
};

/** `--example list`: one line per example. */
export function exampleList(): string {
  const width = Math.max(...Object.keys(EXAMPLES).map((name) => name.length));
  return Object.entries(EXAMPLES)
    .map(([name, example]) => `${name.padEnd(width)}  ${example.summary}`)
    .join('\n');
}
