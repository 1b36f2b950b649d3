import type { EmitterWebhookEvent } from '@octokit/webhooks';

/**
 * Prow's GenericCommentEvent: every place a person can write a command, normalised. Issue and PR
 * comments, reviews and review comments, and the body of an issue or PR when it is opened or
 * edited. Plugins act on `created` (an edit re-running a command would repeat it).
 */
export interface CommentEvent {
  action: 'created' | 'edited' | 'deleted';
  isPR: boolean;
  org: string;
  repo: string;
  number: number;
  body: string;
  /** Who wrote the comment. */
  author: string;
  htmlUrl: string;
  issueAuthor: string;
  issueState: string;
  issueTitle: string;
  issueBody: string;
  assignees: string[];
  labels: string[];
  /** The review's state, for reviews: approved, changes_requested, commented, dismissed. */
  reviewState?: string;
  /** The comment's ID, for issue comments (e.g. to react or edit). */
  commentId?: number;
}

function commentAction(action: string): CommentEvent['action'] | undefined {
  switch (action) {
    case 'created':
    case 'opened':
    case 'submitted':
      return 'created';
    case 'edited':
      return 'edited';
    case 'deleted':
    case 'dismissed':
      return 'deleted';
    default:
      return undefined;
  }
}

/** The issue-like part every commentable payload has (an issue, or a pull request as an issue). */
interface Issueish {
  number: number;
  title: string;
  body?: string | null;
  state?: string | undefined;
  html_url: string;
  user: { login: string } | null;
  labels?: { name: string }[] | null;
  assignees?: ({ login: string } | null)[] | null;
}

function base(
  action: CommentEvent['action'],
  repository: { name: string; owner: { login: string } },
  issue: Issueish,
  isPR: boolean,
): Omit<CommentEvent, 'body' | 'author' | 'htmlUrl'> {
  return {
    action,
    isPR,
    org: repository.owner.login,
    repo: repository.name,
    number: issue.number,
    issueAuthor: issue.user?.login ?? '',
    issueState: issue.state ?? '',
    issueTitle: issue.title,
    issueBody: issue.body ?? '',
    assignees: (issue.assignees ?? []).flatMap((user) => (user ? [user.login] : [])),
    labels: (issue.labels ?? []).map((label) => label.name),
  };
}

/**
 * The generic comment carried by a delivery, or undefined when the event carries none. The
 * payload's fields were checked when the delivery entered the engine (delivery-check.ts).
 */
export function commentEventOf(eventName: string, payload: unknown): CommentEvent | undefined {
  const event = { name: eventName, payload } as EmitterWebhookEvent;
  const action = 'action' in event.payload ? commentAction(event.payload.action) : undefined;
  if (!action) return undefined;
  switch (event.name) {
    case 'issue_comment': {
      const { repository, issue, comment } = event.payload;
      return {
        ...base(action, repository, issue, issue.pull_request !== undefined),
        body: comment.body ?? '',
        author: comment.user?.login ?? '',
        htmlUrl: comment.html_url,
        commentId: comment.id,
      };
    }
    case 'pull_request_review': {
      const { repository, pull_request: pr, review } = event.payload;
      return {
        ...base(action, repository, pr, true),
        body: review.body ?? '',
        author: review.user?.login ?? '',
        htmlUrl: review.html_url,
        reviewState: review.state.toLowerCase(),
      };
    }
    case 'pull_request_review_comment': {
      const { repository, pull_request: pr, comment } = event.payload;
      return {
        ...base(action, repository, pr, true),
        body: comment.body ?? '',
        author: comment.user?.login ?? '',
        htmlUrl: comment.html_url,
      };
    }
    // Only opening or editing an issue or PR writes its body; other actions carry no comment.
    case 'issues': {
      if (event.payload.action !== 'opened' && event.payload.action !== 'edited') return undefined;
      const { repository, issue } = event.payload;
      return { ...base(action, repository, issue, false), body: issue.body ?? '', author: issue.user?.login ?? '', htmlUrl: issue.html_url };
    }
    case 'pull_request': {
      if (event.payload.action !== 'opened' && event.payload.action !== 'edited') return undefined;
      const { repository, pull_request: pr } = event.payload;
      return { ...base(action, repository, pr, true), body: pr.body ?? '', author: pr.user?.login ?? '', htmlUrl: pr.html_url };
    }
    default:
      return undefined;
  }
}

/**
 * Lines of a comment that are commands, without trailing whitespace. Every Prow command regexp is
 * anchored `(?m)^/`, so the slash must be the line's very first character: an indented `  /hold`
 * is prose (or Markdown code), not a command. Lines inside code fences do not count either.
 */
export function commandLines(body: string): string[] {
  const lines: string[] = [];
  let inFence = false;
  for (const raw of body.split(/\r?\n/)) {
    // A fence may be indented (up to three spaces in CommonMark); a command may not.
    if (raw.trim().startsWith('```')) {
      inFence = !inFence;
      continue;
    }
    if (!inFence && raw.startsWith('/')) lines.push(raw.trimEnd());
  }
  return lines;
}

const COMMENT_OPEN = '<!--';
const COMMENT_CLOSE = '-->';

/**
 * A comment as GitHub shows it, without its HTML comments: `<!-- … -->` is hidden wherever it is;
 * a `<!--` never closed hides the rest of the comment when it starts a line (indented up to three
 * spaces: CommonMark's HTML block, which runs to the end of the document when nothing closes it),
 * and is shown as text otherwise. One pass: each search starts where the previous one ended, so a
 * comment of nothing but `<!--` costs no more than any other of its length.
 */
export function dropHtmlComments(body: string): string {
  let kept = '';
  let from = 0;
  for (;;) {
    const open = body.indexOf(COMMENT_OPEN, from);
    if (open === -1) return kept + body.slice(from);
    const close = body.indexOf(COMMENT_CLOSE, open + COMMENT_OPEN.length);
    if (close === -1) {
      // Nothing closes this one or any after it: the first of them that starts a line hides the rest.
      for (let unclosed = open; unclosed !== -1; unclosed = body.indexOf(COMMENT_OPEN, unclosed + 1)) {
        if (startsHtmlBlock(body, unclosed)) return kept + body.slice(from, unclosed);
      }
      return kept + body.slice(from);
    }
    kept += body.slice(from, open);
    from = close + COMMENT_CLOSE.length;
  }
}

/** Whether only up to three spaces stand between the start of a line and `at`. */
function startsHtmlBlock(text: string, at: number): boolean {
  for (let before = at - 1, spaces = 0; ; before--, spaces++) {
    if (before < 0 || text[before] === '\n' || text[before] === '\r') return true;
    if (text[before] !== ' ' || spaces === 3) return false;
  }
}

/**
 * Finds `/name args` commands in a comment, as Prow's regexps like `(?mi)^/hold(?: (cancel))?\s*$`
 * do: case-insensitive name, then the rest of the line as arguments (trimmed).
 */
export function findCommands(body: string, name: string | RegExp): { name: string; args: string }[] {
  const found: { name: string; args: string }[] = [];
  for (const line of commandLines(body)) {
    const match = /^\/([\w-]+)(?:\s+(.*))?$/.exec(line);
    if (!match) continue;
    const command = (match[1] ?? '').toLowerCase();
    const wanted = typeof name === 'string' ? command === name.toLowerCase() : name.test(command);
    if (wanted) found.push({ name: command, args: (match[2] ?? '').trim() });
  }
  return found;
}
