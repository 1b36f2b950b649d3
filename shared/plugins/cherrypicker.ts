import { z } from 'zod';
import type { CherryPickJob } from '../cherrypick/job';
import {
  cherryPickAnswer,
  collectMergeRequests,
  DEFAULT_CHERRY_PICK_LABEL_PREFIX,
  kindNames,
  labelTargets,
  parseCherryPickCommands,
  type MergeRequest,
} from '../cherrypick/requests';
import { pluginSection } from '../config/plugin-section';
import type { IssueHandle } from './handles';
import { definePlugin, type PluginContext } from './plugin';
import { replyTo } from './respond';

/**
 * Prow's cherrypicker (an external plugin there, cmd/external-plugins/cherrypicker; enabled here
 * under the same `external_plugins` name, with no endpoint, and run in-process like needs-rebase).
 * `/cherrypick <branch>` or a `cherrypick/<branch>` label asks for the merged PR to be picked onto
 * another branch. This plugin decides — who may ask, which branches, now or at merge — and
 * answers; the git work and the new PR are the worker's (shared/cherrypick/worker.ts), reached
 * through `context.cherryPicker`, because only it holds credentials that can push.
 */

// ---- plugins.yaml `cherrypicker:` (Prow's command-line flags, as settings) ----

export const CherryPickerSettingsSchema = z.object({
  /** Anyone may ask, not only org members (Prow's --allow-all). */
  allow_all: z.boolean().optional(),
  /** Labels that ask for a cherry-pick start with this (Prow's --label-prefix). */
  label_prefix: z.string().min(1).optional(),
  /** Labels put on every cherry-pick PR (Prow's --labels). */
  labels: z.array(z.string()).optional(),
  /** `/assign` the requester in the body, and assign them (Prow's --use-prow-assignments, default true). */
  use_prow_assignments: z.boolean().optional(),
  /** Push the branch to the bot's fork (default, as Prow) or to the repository itself. */
  push_to: z.enum(['fork', 'repository']).optional(),
});
export type CherryPickerSettings = z.infer<typeof CherryPickerSettingsSchema>;

export const cherryPickerSection = pluginSection('cherrypicker', CherryPickerSettingsSchema);

interface Settings {
  allowAll: boolean;
  labelPrefix: string;
  labels: string[];
  assign: boolean;
  pushTo: 'fork' | 'repository';
}

function settingsOf(context: PluginContext): Settings {
  const section = cherryPickerSection.read(context.plugins);
  return {
    allowAll: section?.allow_all ?? false,
    labelPrefix: section?.label_prefix ?? DEFAULT_CHERRY_PICK_LABEL_PREFIX,
    labels: section?.labels ?? [],
    assign: section?.use_prow_assignments ?? true,
    pushTo: section?.push_to ?? 'fork',
  };
}

function notMemberMessage(org: string): string {
  return (
    `only members of [${org}](https://github.com/orgs/${org}/people) may ask for automated cherry-picks. ` +
    'If you are one, make your membership public and ask again; otherwise the cherry-pick has to be made by hand.'
  );
}

function baseBranchMessage(base: string): string {
  return `\`${base}\` is this PR's own base branch, so there is nothing to cherry-pick onto it.`;
}

function waitingMessage(targets: readonly string[]): string {
  const names = targets.map((target) => `\`${target}\``).join(', ');
  const what = targets.length === 1 ? 'a new PR' : 'new PRs';
  return `when this PR merges I will cherry-pick it onto ${names} in ${what} assigned to you.`;
}

/** The membership check, or none under allow_all. */
async function mayAsk(context: PluginContext, settings: Settings, login: string): Promise<boolean> {
  return settings.allowAll || (await context.github.isOrgMember(context.org, login));
}

interface Parent {
  number: number;
  base: string;
  title: string;
  body: string;
}

async function send(context: PluginContext, settings: Settings, pull: IssueHandle, parent: Parent, request: MergeRequest): Promise<void> {
  if (!context.cherryPicker) throw new Error('no cherry-pick worker is wired into this deployment');
  const job: CherryPickJob = {
    org: context.org,
    repo: context.repo,
    number: parent.number,
    base: parent.base,
    target: request.target,
    title: parent.title,
    body: parent.body,
    requester: request.requester,
    chain: request.chain,
    kinds: kindNames(await pull.listIssueLabels()),
    ...(request.comment ? { comment: request.comment } : {}),
    labels: settings.labels,
    assign: settings.assign,
    pushTo: settings.pushTo,
  };
  await context.cherryPicker.request(job);
  context.log.info('cherry-pick requested', { number: parent.number, target: request.target, requester: request.requester });
}

export const cherryPicker = definePlugin('cherrypicker', {
  description:
    'Cherry-picks a merged pull request onto other branches: for each branch asked for, the PR\'s patch is ' +
    'applied onto it, pushed to a branch of its own and opened as a new PR titled "[branch] original title", ' +
    'assigned to whoever asked and carrying the release note. Asked on an open PR, the cherry-pick waits for ' +
    'the merge. A label named with the configured prefix (cherrypick/<branch> by default) asks as the comment does.',
  config:
    'plugins.yaml `cherrypicker:` — allow_all (anyone may ask, not only org members), label_prefix, labels ' +
    '(added to each cherry-pick PR), use_prow_assignments (default true) and push_to (fork, the default, or repository).',
  commands: [
    {
      usage: '/cherrypick <branch> [<branch>...]',
      description:
        'Opens a cherry-pick of this PR onto the branch once it has merged (at once when it already has). ' +
        'Further branches are chained: the new PR asks for them in turn when it merges. /cherry-pick works too.',
      examples: ['/cherrypick release-1.4', '/cherry-pick release-2.0', '/cherrypick release-1.6 release-1.5'],
      who: 'Members of the organization (anyone with allow_all)',
      featured: true,
    },
  ],
})
  .settings(cherryPickerSection)
  .onComment(async (context) => {
    const { comment } = context;
    if (!comment.isPR || comment.action !== 'created') return;
    const commands = parseCherryPickCommands(comment.body);
    if (commands.size === 0) return;
    const settings = settingsOf(context);
    const pr = await context.issue.getPullRequest();
    const base = pr.base.ref;
    const askedForBase = commands.delete(base);
    if (commands.size === 0) {
      await context.issue.createComment(replyTo(comment, baseBranchMessage(base)));
      return;
    }
    if (pr.state === 'closed' && !pr.merged) {
      await context.issue.createComment(replyTo(comment, 'this PR was closed without merging, so there is nothing to cherry-pick.'));
      return;
    }
    if (!(await mayAsk(context, settings, comment.author))) {
      await context.issue.createComment(replyTo(comment, notMemberMessage(context.org)));
      return;
    }
    const targets = [...commands.keys()].sort();
    if (!pr.merged) {
      // Nothing is stored: at the merge the comments are read again (and the labels), as in Prow.
      const note = askedForBase ? ` ${baseBranchMessage(base)}` : '';
      await context.issue.createComment(replyTo(comment, `${waitingMessage(targets)}${note}`));
      return;
    }
    if (askedForBase) await context.issue.createComment(replyTo(comment, baseBranchMessage(base)));
    const parent = { number: pr.number, base, title: pr.title, body: pr.body ?? '' };
    for (const target of targets) {
      await send(context, settings, context.issue, parent, {
        target,
        requester: comment.author,
        chain: commands.get(target) ?? [],
        viaLabel: false,
        comment: { body: comment.body, htmlUrl: comment.htmlUrl },
      });
    }
  })
  .on('pull_request.labeled', async (context) => {
    const { pull_request: pr, label } = context.event.payload;
    const settings = settingsOf(context);
    const [target] = labelTargets(label?.name === undefined ? [] : [label.name], settings.labelPrefix);
    if (target === undefined) return;
    const author = pr.user?.login ?? '';
    // Prow takes the PR's author, not whoever added the label, as the one asking.
    if (!(await mayAsk(context, settings, author))) {
      await context.issue.createComment(cherryPickAnswer(author, notMemberMessage(context.org)));
      return;
    }
    if (target === pr.base.ref) {
      await context.issue.createComment(cherryPickAnswer(author, baseBranchMessage(target)));
      return;
    }
    if (!pr.merged) {
      if (pr.state === 'open') await context.issue.createComment(cherryPickAnswer(author, waitingMessage([target])));
      return;
    }
    const parent = { number: pr.number, base: pr.base.ref, title: pr.title, body: pr.body ?? '' };
    await send(context, settings, context.issue, parent, { target, requester: author, chain: [], viaLabel: true });
  })
  .on('pull_request.closed', async (context) => {
    const { pull_request: pr } = context.event.payload;
    if (!pr.merged) return;
    const settings = settingsOf(context);
    const [comments, labels] = await Promise.all([context.issue.listComments(), context.issue.listIssueLabels()]);
    const requests = collectMergeRequests({
      author: pr.user.login,
      body: pr.body ?? '',
      htmlUrl: pr.html_url,
      comments: comments.map((comment) => ({ author: comment.user.login, body: comment.body, htmlUrl: comment.html_url ?? pr.html_url })),
      labels,
      labelPrefix: settings.labelPrefix,
    });
    const members = new Map<string, boolean>();
    const parent = { number: pr.number, base: pr.base.ref, title: pr.title, body: pr.body ?? '' };
    for (const request of requests) {
      let member = members.get(request.requester);
      if (member === undefined) {
        member = await mayAsk(context, settings, request.requester);
        members.set(request.requester, member);
      }
      // Refusals were said when the request was made; the merge only leaves them out.
      if (!member) continue;
      if (request.target === parent.base) {
        const message = baseBranchMessage(parent.base);
        await context.issue.createComment(cherryPickAnswer(request.requester, message, request.comment));
        continue;
      }
      await send(context, settings, context.issue, parent, request);
    }
  });
