import { z } from 'zod';

/**
 * The one check of a delivery's payload, made where it enters the plugins. @octokit/webhooks types
 * every payload, and plugins read them through those types; but the types are a promise about what
 * GitHub sends, and a delivery is outside data. So the fields plugins read are verified here, once,
 * and a payload missing one is refused with a message naming it, rather than failing somewhere
 * inside a plugin.
 *
 * Only what plugins read is required: GitHub adds fields freely, and the rest are not our concern.
 */

const User = z.object({ login: z.string(), type: z.string().nullish() });
const Label = z.object({ name: z.string() });
const Repository = z.object({ name: z.string(), owner: z.object({ login: z.string() }) });

/** What every plugin may read of an issue, or of a pull request as an issue. */
const IssueFields = z.object({
  number: z.number().int(),
  title: z.string(),
  body: z.string().nullish(),
  state: z.string(),
  html_url: z.string(),
  user: User,
  labels: z.array(Label).nullish(),
  assignees: z.array(User).nullish(),
});

const PullRequestFields = IssueFields.extend({
  draft: z.boolean().nullish(),
  merged: z.boolean().nullish(),
  mergeable: z.boolean().nullish(),
  merge_commit_sha: z.string().nullish(),
  merged_at: z.string().nullish(),
  head: z.object({ ref: z.string(), sha: z.string() }),
  base: z.object({ ref: z.string(), sha: z.string(), repo: Repository.extend({ default_branch: z.string() }) }),
});

const Comment = z.object({ id: z.number().int(), body: z.string().nullish(), user: User, html_url: z.string() });

const Action = z.string();

/** Per event name; events absent here carry nothing a plugin reads. */
const PAYLOADS: Readonly<Record<string, z.ZodType>> = {
  pull_request: z.object({
    action: Action,
    repository: Repository,
    sender: User,
    pull_request: PullRequestFields,
    label: Label.nullish(),
  }),
  issues: z.object({ action: Action, repository: Repository, issue: IssueFields, label: Label.nullish() }),
  issue_comment: z.object({
    action: Action,
    repository: Repository,
    issue: IssueFields.extend({ pull_request: z.unknown().optional() }),
    comment: Comment,
  }),
  pull_request_review: z.object({
    action: Action,
    repository: Repository,
    pull_request: IssueFields,
    review: z.object({ body: z.string().nullish(), state: z.string(), user: User, html_url: z.string() }),
  }),
  pull_request_review_comment: z.object({ action: Action, repository: Repository, pull_request: IssueFields, comment: Comment }),
  status: z.object({ sha: z.string(), state: z.string(), context: z.string(), repository: Repository }),
  push: z.object({
    ref: z.string(),
    after: z.string(),
    repository: Repository.extend({ html_url: z.string().nullish() }),
    commits: z
      .array(
        z.object({
          added: z.array(z.string()).nullish(),
          removed: z.array(z.string()).nullish(),
          modified: z.array(z.string()).nullish(),
        }),
      )
      .nullish(),
  }),
};

/** Undefined when plugins may read the payload; otherwise what is wrong with it, field by field. */
export function payloadProblems(eventName: string, payload: unknown): string | undefined {
  const schema = PAYLOADS[eventName];
  if (!schema) return undefined;
  const parsed = schema.safeParse(payload, { reportInput: true });
  if (parsed.success) return undefined;
  return parsed.error.issues
    .slice(0, 5)
    .map((issue) => {
      const field = issue.path.join('.') || '(payload)';
      // What a person sending a hand-made payload needs to hear is the field to add.
      return issue.code === 'invalid_type' && issue.input === undefined ? `missing ${field}` : `${field}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * A payload user's login. @octokit/webhooks types users as nullable (GitHub's deleted "ghost"
 * account); payloadProblems has refused deliveries without the users plugins read, so the empty
 * login is only the types' due.
 */
export function loginOf(user: { login: string } | null | undefined): string {
  return user?.login ?? '';
}
