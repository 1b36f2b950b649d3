import { z } from 'zod';
import { pluginSection } from '../config/plugin-section';
import { isBotAccount } from '../github/membership';
import { normLogin } from '../owners/owners';
import { definePlugin, type PluginScope } from './plugin';

/**
 * Prow's slackevents plugin (pkg/plugins/slackevents): warns Slack channels when someone pushes to
 * a repository's branches by hand rather than through the merge bot (a "manual merge"), unless
 * they are exempt; and repeats on Slack the GitHub comments that mention one of the configured
 * channels. Messages go through the deployment's Slack webhooks (SLACK_WEBHOOKS); without them
 * the plugin logs what it would have posted and posts nothing.
 */

// ---- plugins.yaml `slack:` ----

export const MergeWarningSchema = z.object({
  /** "org" or "org/repo"; a repository's own entry wins over its org's. */
  repos: z.array(z.string()).optional(),
  /** Channels the warnings go to. */
  channels: z.array(z.string()).optional(),
  /** People whose pushes are never warned about (the merge bot, release managers). */
  exempt_users: z.array(z.string()).optional(),
  /** Branch → people whose pushes to that branch are not warned about. */
  exempt_branches: z.record(z.string(), z.array(z.string())).optional(),
});
export type MergeWarning = z.infer<typeof MergeWarningSchema>;

export const SlackSettingsSchema = z.object({
  /** Channels a GitHub comment may mention to be repeated there. */
  mentionchannels: z.array(z.string()).optional(),
  mergewarnings: z.array(MergeWarningSchema).optional(),
});
export type SlackSettings = z.infer<typeof SlackSettingsSchema>;

export const slackSection = pluginSection('slack', SlackSettingsSchema);

/** Prow's lookup: the first entry naming "org/repo", else the first naming the org. */
export function mergeWarningFor(warnings: readonly MergeWarning[], org: string, repo: string): MergeWarning | undefined {
  return (
    warnings.find((warning) => (warning.repos ?? []).includes(`${org}/${repo}`)) ?? warnings.find((warning) => (warning.repos ?? []).includes(org))
  );
}

export interface Push {
  branch: string;
  /** The git pusher's name, and the GitHub account that pushed. */
  pusher: string;
  sender: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  commits: number;
  compare: string;
}

/** Exempt when the pusher or the sender is exempt everywhere or on this branch (logins compared as Prow does). */
export function isExempt(warning: MergeWarning, push: Push): boolean {
  const exempt = new Set([...(warning.exempt_users ?? []), ...(warning.exempt_branches?.[push.branch] ?? [])].map(normLogin));
  return exempt.has(normLogin(push.pusher)) || exempt.has(normLogin(push.sender));
}

/** The warning for a push, with the sender mentioned in Slack's `<@login>` form as Prow does. */
export function manualMergeWarning(push: Push): string {
  const who = `${push.sender} (<@${push.sender}>)`;
  if (push.created) return `*Warning:* ${who} created the branch ${push.branch} by pushing directly: ${push.compare}`;
  if (push.deleted) return `*Warning:* ${who} deleted the branch ${push.branch} directly: ${push.compare}`;
  if (push.forced) return `*Warning:* ${who} *force*-pushed ${push.commits} commit(s) to ${push.branch}, bypassing the merge bot: ${push.compare}`;
  return `*Warning:* ${who} pushed ${push.commits} commit(s) to ${push.branch} directly, bypassing the merge bot: ${push.compare}`;
}

// Prow's team mentions, `@<org>/sig-<name>-<kind>`, name the channel `sig-<name>`.
const SIG_TEAM_MENTION = /@[\w-]+\/sig-([\w-]*)-(misc|test-failures|bugs|feature-requests|proposals|pr-reviews|api-reviews)/g;

/** The configured channels a comment mentions: as `#channel`, or as a SIG team (`@org/sig-x-bugs` → `sig-x`). */
export function mentionedChannels(body: string, channels: readonly string[]): string[] {
  const configured = new Set(channels.map((channel) => channel.replace(/^#/, '')));
  const found: string[] = [];
  for (const match of body.matchAll(SIG_TEAM_MENTION)) found.push(`sig-${match[1] ?? ''}`);
  for (const match of body.matchAll(/(?:^|[^\w&])#([\w-]+)/g)) found.push(match[1] ?? '');
  return [...new Set(found)].filter((channel) => configured.has(channel));
}

async function post(context: Pick<PluginScope, 'slack' | 'log'>, channel: string, text: string): Promise<void> {
  if (!context.slack) {
    context.log.info('Slack is not configured (SLACK_WEBHOOKS); not posting', { channel });
    return;
  }
  await context.slack({ channel, text });
}

const PushFields = z.object({
  ref: z.string(),
  created: z.boolean().optional(),
  deleted: z.boolean().optional(),
  forced: z.boolean().optional(),
  compare: z.string().optional(),
  commits: z.array(z.unknown()).nullish(),
  pusher: z.object({ name: z.string().optional() }).nullish(),
  sender: z.object({ login: z.string() }).nullish(),
});

export const slackevents = definePlugin('slackevents', {
  description:
    'Posts to Slack: a warning when someone pushes to a repository\'s branches directly instead of through the merge bot, ' +
    'and GitHub comments that mention a configured channel (#channel, or a SIG team such as @org/sig-testing-bugs for sig-testing).',
  config:
    '`slack:` has `mentionchannels` (channels comments may mention) and `mergewarnings`: entries of `repos` ("org" or "org/repo"), ' +
    '`channels` to warn, `exempt_users` and `exempt_branches` (branch → people) whose pushes are not warned about. ' +
    'Messages go through the Slack webhooks in SLACK_WEBHOOKS.',
})
  .settings(slackSection)
  .on('push', async (context) => {
    const warnings = slackSection.read(context.plugins)?.mergewarnings ?? [];
    const warning = mergeWarningFor(warnings, context.org, context.repo);
    if (!warning) return;
    const fields = PushFields.parse(context.event.payload);
    const push: Push = {
      // Prow's PushEvent.Branch: the ref without its refs/heads/ (or refs/tags/) prefix.
      branch: fields.ref.replace(/^refs\/(heads|tags)\//, ''),
      pusher: fields.pusher?.name ?? '',
      sender: fields.sender?.login ?? '',
      created: fields.created ?? false,
      deleted: fields.deleted ?? false,
      forced: fields.forced ?? false,
      commits: fields.commits?.length ?? 0,
      compare: fields.compare ?? '',
    };
    if (isExempt(warning, push)) return;
    const text = manualMergeWarning(push);
    for (const channel of warning.channels ?? []) await post(context, channel, text);
  })
  .onComment(async (context) => {
    const { comment, github } = context;
    if (comment.action !== 'created') return;
    const channels = mentionedChannels(comment.body, slackSection.read(context.plugins)?.mentionchannels ?? []);
    if (channels.length === 0) return;
    if (isBotAccount(await github.botLogin(), comment.author)) return;
    for (const channel of channels) {
      await post(context, channel, `${channel} was mentioned by ${comment.author} (<@${comment.author}>) on GitHub (${comment.htmlUrl}):\n>>>${comment.body}`);
    }
  });
