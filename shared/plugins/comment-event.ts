import { z } from 'zod';

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

const User = z.object({ login: z.string() });
const Labels = z.array(z.object({ name: z.string() })).optional();
const Assignees = z.array(User).nullish();
const Repository = z.object({ name: z.string(), owner: User });
const IssueLike = z.object({
  number: z.number(),
  title: z.string(),
  body: z.string().nullish(),
  state: z.string(),
  html_url: z.string(),
  user: User,
  labels: Labels,
  assignees: Assignees,
  pull_request: z.unknown().optional(),
});

const CommentPayload = z.object({
  action: z.string(),
  repository: Repository,
  issue: IssueLike,
  comment: z.object({ id: z.number(), body: z.string().nullish(), user: User, html_url: z.string() }),
});
const ReviewPayload = z.object({
  action: z.string(),
  repository: Repository,
  pull_request: IssueLike,
  review: z.object({ body: z.string().nullish(), user: User, html_url: z.string(), state: z.string() }),
});
const ReviewCommentPayload = z.object({
  action: z.string(),
  repository: Repository,
  pull_request: IssueLike,
  comment: z.object({ id: z.number(), body: z.string().nullish(), user: User, html_url: z.string() }),
});
const IssuePayload = z.object({ action: z.string(), repository: Repository, issue: IssueLike });
const PullRequestPayload = z.object({ action: z.string(), repository: Repository, pull_request: IssueLike });

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

type Issueish = z.infer<typeof IssueLike>;

function base(
  action: CommentEvent['action'],
  repository: z.infer<typeof Repository>,
  issue: Issueish,
  isPR: boolean,
): Omit<CommentEvent, 'body' | 'author' | 'htmlUrl'> {
  return {
    action,
    isPR,
    org: repository.owner.login,
    repo: repository.name,
    number: issue.number,
    issueAuthor: issue.user.login,
    issueState: issue.state,
    issueTitle: issue.title,
    issueBody: issue.body ?? '',
    assignees: (issue.assignees ?? []).map((user) => user.login),
    labels: (issue.labels ?? []).map((label) => label.name),
  };
}

/** The generic comment carried by a delivery, or undefined when the event carries none. */
export function commentEventOf(eventName: string, payload: unknown): CommentEvent | undefined {
  const action = commentAction((payload as { action?: unknown } | null)?.action as string);
  if (!action) return undefined;
  switch (eventName) {
    case 'issue_comment': {
      const parsed = CommentPayload.safeParse(payload);
      if (!parsed.success) return undefined;
      const { repository, issue, comment } = parsed.data;
      return {
        ...base(action, repository, issue, issue.pull_request !== undefined),
        body: comment.body ?? '',
        author: comment.user.login,
        htmlUrl: comment.html_url,
        commentId: comment.id,
      };
    }
    case 'pull_request_review': {
      const parsed = ReviewPayload.safeParse(payload);
      if (!parsed.success) return undefined;
      const { repository, pull_request: pr, review } = parsed.data;
      return {
        ...base(action, repository, pr, true),
        body: review.body ?? '',
        author: review.user.login,
        htmlUrl: review.html_url,
        reviewState: review.state.toLowerCase(),
      };
    }
    case 'pull_request_review_comment': {
      const parsed = ReviewCommentPayload.safeParse(payload);
      if (!parsed.success) return undefined;
      const { repository, pull_request: pr, comment } = parsed.data;
      return {
        ...base(action, repository, pr, true),
        body: comment.body ?? '',
        author: comment.user.login,
        htmlUrl: comment.html_url,
      };
    }
    case 'issues':
    case 'pull_request': {
      // Only opening or editing an issue or PR writes its body; other actions carry no comment.
      const raw = (payload as { action: string }).action;
      if (raw !== 'opened' && raw !== 'edited') return undefined;
      if (eventName === 'issues') {
        const parsed = IssuePayload.safeParse(payload);
        if (!parsed.success) return undefined;
        const { repository, issue } = parsed.data;
        return {
          ...base(action, repository, issue, false),
          body: issue.body ?? '',
          author: issue.user.login,
          htmlUrl: issue.html_url,
        };
      }
      const parsed = PullRequestPayload.safeParse(payload);
      if (!parsed.success) return undefined;
      const { repository, pull_request: pr } = parsed.data;
      return {
        ...base(action, repository, pr, true),
        body: pr.body ?? '',
        author: pr.user.login,
        htmlUrl: pr.html_url,
      };
    }
    default:
      return undefined;
  }
}

/**
 * Lines of a comment that are commands: Prow matches commands at the start of a line, outside
 * quoted replies and code blocks.
 */
export function commandLines(body: string): string[] {
  const lines: string[] = [];
  let inFence = false;
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('```')) {
      inFence = !inFence;
      continue;
    }
    if (inFence || line.startsWith('>')) continue;
    if (line.startsWith('/')) lines.push(line);
  }
  return lines;
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
