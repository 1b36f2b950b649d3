import type { Presubmit } from '../config/model';
import { z } from 'zod';
import { pluginSection } from '../config/plugin-section';
import type { CommitStatus } from '../github/client';
import { normLogin } from '../owners/owners';
import { loadOwnersForPaths } from './repo-owners';
import { findCommands } from './comment-event';
import { definePlugin, type CommentContext } from './plugin';
import { echo, replyTo } from './respond';

/**
 * override (Prow's pkg/plugins/override): lets the people trusted with a repository force a
 * failing status context green, e.g. when a flaky or retired job blocks an urgent merge.
 */

/** plugins.yaml `override:`. */
export const OverrideSettingsSchema = z.object({
  allow_top_level_owners: z.boolean().optional(),
  /** "org" or "org/repo" → team slugs whose members may override contexts. */
  allowed_github_teams: z.record(z.string(), z.array(z.string())).optional(),
});
export type OverrideSettings = z.infer<typeof OverrideSettingsSchema>;

export const overrideSection = pluginSection('override', OverrideSettingsSchema);

/**
 * Status descriptions are read back, so these are fixed: `/override-cancel` finds overrides by
 * the prefix, and Tide keeps a context carrying the sentinel green across base-branch moves.
 */
export const OVERRIDE_DESCRIPTION_PREFIX = 'Overridden by';
export const STICKY_SENTINEL = '[prow:skip-retest]';

export function overrideDescription(user: string, sticky: boolean): string {
  return sticky
    ? `${OVERRIDE_DESCRIPTION_PREFIX} ${user} ${STICKY_SENTINEL}`
    : `${OVERRIDE_DESCRIPTION_PREFIX} ${user}`;
}

export function cancelDescription(user: string): string {
  return `Override cancelled by ${user}`;
}

/**
 * The contexts named after the command: separated by spaces, except inside double quotes, so
 * `"test / Unit Tests"` is one context. The quotes themselves are not part of the name.
 */
export function parseContexts(text: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (const character of text) {
    if (character === '"') quoted = !quoted;
    if (!quoted && character === ' ') {
      if (current) fields.push(current);
      current = '';
      continue;
    }
    current += character;
  }
  if (current) fields.push(current);
  return fields.map((field) => field.trim().replace(/^"+|"+$/g, '')).filter((field) => field !== '');
}

export type OverrideCommandName = 'override' | 'override-sticky' | 'override-cancel';

export interface OverrideCommand {
  /** Contexts named on all lines of this command; empty for a bare `/override-cancel` (all). */
  contexts: Set<string>;
  /** A line of this command named no context. */
  bare: boolean;
}

/** Every line of one command kind in the comment, merged, as Prow reads all matches at once. */
export function parseOverrideCommand(body: string, name: OverrideCommandName): OverrideCommand | undefined {
  const lines = findCommands(body, name);
  if (lines.length === 0) return undefined;
  const contexts = new Set<string>();
  let bare = false;
  for (const line of lines) {
    if (line.args === '') bare = true;
    for (const context of parseContexts(line.args)) contexts.add(context);
  }
  return { contexts, bare };
}

/** Who may override, in words: Prow's wording order, with the teams that apply to org/repo. */
export function whoCanOverride(settings: OverrideSettings | undefined, org = '', repo = ''): string {
  let who = 'Repository administrators';
  if (settings?.allow_top_level_owners) who += ', approvers in the top-level OWNERS file';
  const teams = Object.entries(settings?.allowed_github_teams ?? {})
    .filter(([key]) => (org === '' && repo === '') || key === `${org}/${repo}` || key === org)
    .map(([key, slugs]) => `${key}: ${slugs.join(' ')}`)
    .sort();
  if (teams.length > 0) who += `, and members of these GitHub teams: ${teams.join(', ')}`;
  return `${who}.`;
}

export interface OverrideAuthority {
  isRepoAdmin(): Promise<boolean>;
  isAllowedTeamMember(): Promise<boolean>;
  isTopLevelApprover(): Promise<boolean>;
}

/** Any one of the three grounds suffices; they are asked in Prow's order, cheapest first. */
export async function mayOverride(authority: OverrideAuthority): Promise<boolean> {
  return (
    (await authority.isRepoAdmin()) ||
    (await authority.isAllowedTeamMember()) ||
    (await authority.isTopLevelApprover())
  );
}

/**
 * The names `/override` accepts: every context that has not succeeded, plus the name of the job
 * reporting it, since people often know the job rather than its context.
 */
export function overridableNames(statuses: readonly CommitStatus[], jobs: readonly Presubmit[]): Set<string> {
  const names = new Set<string>();
  for (const status of statuses) {
    if (status.state === 'success') continue;
    names.add(status.context);
    const job = jobs.find((candidate) => candidate.context === status.context);
    if (job) names.add(job.name);
  }
  return names;
}

/** The statuses an override of `requested` turns green: unsuccessful ones named by context or job. */
export function statusesToOverride(
  statuses: readonly CommitStatus[],
  jobs: readonly Presubmit[],
  requested: ReadonlySet<string>,
): CommitStatus[] {
  const chosen = new Map<string, CommitStatus>();
  for (const status of statuses) {
    if (status.state === 'success' || chosen.has(status.context)) continue;
    const job = jobs.find((candidate) => candidate.context === status.context);
    if (requested.has(status.context) || (job !== undefined && requested.has(job.name))) {
      chosen.set(status.context, status);
    }
  }
  return [...chosen.values()];
}

/** The overrides `/override-cancel` undoes: all of them, or those on the named contexts. */
export function statusesToCancel(statuses: readonly CommitStatus[], command: OverrideCommand): CommitStatus[] {
  return statuses.filter(
    (status) =>
      (status.description ?? '').includes(OVERRIDE_DESCRIPTION_PREFIX) &&
      (command.bare || command.contexts.has(status.context)),
  );
}

function bulletList(items: Iterable<string>): string {
  return [...items]
    .sort()
    .map((item) => ` - \`${echo(item)}\``)
    .join('\n');
}

export function missingContextsMessage(command: OverrideCommandName): string {
  return `\`/${command}\` needs the names of the failed status contexts to act on, and none were given.`;
}

export function unauthorizedMessage(user: string, command: OverrideCommandName, who: string): string {
  return `${user} may not use \`/${command}\`: it is reserved for ${who.charAt(0).toLowerCase()}${who.slice(1)}`;
}

export function unknownContextsMessage(
  command: OverrideCommandName,
  unknown: Iterable<string>,
  known: Iterable<string>,
): string {
  const knownList = bulletList(known);
  return [
    `\`/${command}\` works on failed status contexts, check runs or job names, and I don't recognise these:`,
    bulletList(unknown),
    '',
    'The ones that can be overridden right now are:',
    knownList === '' ? ' - (none)' : knownList,
    '',
    'A name that contains spaces has to be written in double quotes.',
  ].join('\n');
}

export function overriddenMessage(user: string, contexts: Iterable<string>, sticky: boolean): string {
  const message = `Overridden on behalf of ${user}: ${[...contexts].sort().join(', ')}`;
  if (!sticky) return message;
  return (
    `${message}\n\nThese overrides hold across retests of the current head commit until a new commit is ` +
    'pushed; `/override-cancel` removes them sooner.'
  );
}

export function cancelledMessage(user: string, contexts: Iterable<string>): string {
  return `Override cancelled on behalf of ${user} for: ${[...contexts].sort().join(', ')}`;
}

export function statusFailureMessage(statusContext: string): string {
  return `GitHub would not let me update the status \`${statusContext}\`; please try again later.`;
}

export const NOTHING_TO_CANCEL_MESSAGE = 'There are no overrides on this pull request to cancel.';

// ---- the handler ----

function authorityFor(context: CommentContext, baseRef: string): OverrideAuthority {
  const { github, org, repo, comment } = context;
  const settings = overrideSection.read(context.plugins);
  const user = comment.author;
  return {
    // As Prow: GitHub's permission for the user on this repository must be admin.
    isRepoAdmin: async () => {
      try {
        return (await context.repository.getCollaboratorPermission(user)) === 'admin';
      } catch (error) {
        context.log.warn('could not read the repository permission', { user, error: String(error) });
        return false;
      }
    },
    isAllowedTeamMember: async () => {
      const teams = settings?.allowed_github_teams ?? {};
      const slugs = [...(teams[`${org}/${repo}`] ?? []), ...(teams[org] ?? [])];
      for (const slug of slugs) {
        try {
          if (await github.isTeamMember(org, slug, user)) return true;
        } catch (error) {
          // A misspelt or deleted team must not lock out members of the others.
          context.log.warn('could not check team membership', { team: slug, error });
        }
      }
      return false;
    },
    isTopLevelApprover: async () => {
      if (!settings?.allow_top_level_owners) return false;
      try {
        // Prow's top-level approvers: the root OWNERS file's, aliases expanded, collaborators only
        // (unless the repository skips that check).
        const owners = await loadOwnersForPaths(context, baseRef, []);
        return owners.topLevelApprovers().has(normLogin(user));
      } catch (error) {
        context.log.warn('could not read the top-level OWNERS approvers', { error });
        return false;
      }
    },
  };
}

async function reply(context: CommentContext, message: string): Promise<void> {
  await context.issue.createComment(replyTo(context.comment, message));
}

async function handleCancel(context: CommentContext, command: OverrideCommand): Promise<void> {
  const { issue, repository, org, repo, comment } = context;
  const pr = await issue.getPullRequest();
  if (!(await mayOverride(authorityFor(context, pr.base.ref)))) {
    await reply(
      context,
      unauthorizedMessage(comment.author, 'override-cancel', whoCanOverride(overrideSection.read(context.plugins), org, repo)),
    );
    return;
  }
  const { statuses } = await repository.getCombinedStatus(pr.head.sha);
  const cancelled: string[] = [];
  for (const status of statusesToCancel(statuses, command)) {
    try {
      await repository.createStatus(pr.head.sha, {
        ...status,
        state: 'failure',
        description: cancelDescription(comment.author),
      });
    } catch (error) {
      context.log.error('could not cancel an override', { context: status.context, error });
      await reply(context, statusFailureMessage(status.context));
      return;
    }
    cancelled.push(status.context);
  }
  await reply(context, cancelled.length === 0 ? NOTHING_TO_CANCEL_MESSAGE : cancelledMessage(comment.author, cancelled));
  context.log.info('cancelled overrides', { contexts: cancelled, user: comment.author });
}

async function handleOverride(
  context: CommentContext,
  command: OverrideCommand,
  name: 'override' | 'override-sticky',
): Promise<void> {
  const { issue, repository, org, repo, comment } = context;
  if (command.bare) {
    await reply(context, missingContextsMessage(name));
    return;
  }
  const pr = await issue.getPullRequest();
  if (!(await mayOverride(authorityFor(context, pr.base.ref)))) {
    context.log.info('refused an override from an unauthorised user', { user: comment.author });
    await reply(context, unauthorizedMessage(comment.author, name, whoCanOverride(overrideSection.read(context.plugins), org, repo)));
    return;
  }
  const { statuses } = await repository.getCombinedStatus(pr.head.sha);
  const jobs = context.config.presubmits.get(`${org}/${repo}`) ?? [];
  const known = overridableNames(statuses, jobs);
  const unknown = [...command.contexts].filter((requested) => !known.has(requested));
  if (unknown.length > 0) {
    await reply(context, unknownContextsMessage(name, unknown, known));
    return;
  }
  const sticky = name === 'override-sticky';
  const done: string[] = [];
  for (const status of statusesToOverride(statuses, jobs, command.contexts)) {
    try {
      await repository.createStatus(pr.head.sha, {
        context: status.context,
        state: 'success',
        description: overrideDescription(comment.author, sticky),
        ...(status.target_url ? { target_url: status.target_url } : {}),
      });
    } catch (error) {
      context.log.error('could not set an overriding status', { context: status.context, error });
      await reply(context, statusFailureMessage(status.context));
      break;
    }
    done.push(status.context);
  }
  // What was overridden before any failure is still reported, so nobody repeats it blindly.
  if (done.length > 0) await reply(context, overriddenMessage(comment.author, done, sticky));
  context.log.info('overrode contexts', { contexts: done, user: comment.author, sticky });
}

export const override = definePlugin('override', {
  description: 'Lets repository administrators force a failing GitHub status context to pass.',
  config:
    '`override.allow_top_level_owners`: approvers in the top-level OWNERS file may override too. ' +
    '`override.allowed_github_teams`: "org" or "org/repo" → GitHub team slugs whose members may override.',
  commands: [
    {
      usage: '/override <context> [<context>…]',
      description:
        'Marks the named failed status contexts (or the jobs that report them) as passed on the current head ' +
        'commit. Put a context containing spaces in double quotes. Overrides lapse when the base branch moves.',
      examples: ['/override pull-widgets-unit', '/override "test / Unit Tests"', '/override ci/circleci', '/override deleted-job other-job'],
      who: whoCanOverride(undefined),
    },
    {
      usage: '/override-sticky <context> [<context>…]',
      description:
        'Like /override, but the override survives retests of the current head commit even when the base ' +
        'branch moves; pushing a new commit clears it, and /override-cancel removes it.',
      examples: ['/override-sticky pull-widgets-unit', '/override-sticky "test / Unit Tests"'],
      who: whoCanOverride(undefined),
    },
    {
      usage: '/override-cancel [<context>…]',
      description:
        'Undoes overrides (plain or sticky) by setting their statuses back to failure: the named ones, or all ' +
        'of them when none is named.',
      examples: ['/override-cancel pull-widgets-unit', '/override-cancel'],
      who: whoCanOverride(undefined),
    },
  ],
}).settings(overrideSection).onComment(async (context) => {
  const { comment } = context;
  if (!comment.isPR || comment.issueState !== 'open' || comment.action !== 'created') return;
  // One comment may cancel and override at once; cancelling first lets it re-override cleanly.
  const cancel = parseOverrideCommand(comment.body, 'override-cancel');
  if (cancel) await handleCancel(context, cancel);
  const sticky = parseOverrideCommand(comment.body, 'override-sticky');
  if (sticky) await handleOverride(context, sticky, 'override-sticky');
  const plain = parseOverrideCommand(comment.body, 'override');
  if (plain) await handleOverride(context, plain, 'override');
});
