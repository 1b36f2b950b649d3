import { z } from 'zod';
import type { PluginConfig } from '../config/plugin-config';
import { checkReposListedOnce, pluginSection } from '../config/plugin-section';
import type { IssueComment, IssueEvent, Review, ReviewComment } from '../github/client';
import { Approvers, ChangeOwners, type Approval } from '../owners/approvers';
import type { RepoOwners } from '../owners/owners';
import { githubLinkUrl, loadOwnersForPaths } from './repo-owners';
import { commandLines } from './comment-event';
import { isBotAccount } from '../github/membership';
import { loginOf } from './delivery-check';
import type { IssueHandle } from './handles';
import { definePlugin, type PluginScope } from './plugin';
import { settingsFor } from './settings';

/**
 * Prow's approve plugin (pkg/plugins/approve). A PR is approved when the people who approved it
 * can, between them, approve every changed file according to the OWNERS files on the base branch.
 * The plugin keeps the `approved` label in step with that and maintains one notification comment,
 * starting with Prow's `[APPROVALNOTIFIER]` marker (tools search for it), that lists the OWNERS
 * files still needing approval and whom to ask.
 *
 * Approvals are recomputed from the PR's whole history on every relevant event, as in Prow: each
 * person's latest `/approve` or `/approve cancel` (or approving / changes-requested review) counts.
 */

export const APPROVED_LABEL = 'approved';
export const APPROVAL_NOTIFIER_MARKER = '[APPROVALNOTIFIER]';
const NOTIFIER_PATTERN = /^\[APPROVALNOTIFIER\]/i;

const DEFAULT_COMMAND_HELP_LINK = 'https://go.k8s.io/bot-commands';
const DEFAULT_PR_PROCESS_LINK = 'https://git.k8s.io/community/contributors/guide/owners.md#the-code-review-process';

/** plugins.yaml `approve:`: entries for orgs and repos ("org" or "org/repo"). */
export const ApproveEntrySchema = z.object({
  repos: z.array(z.string()).optional(),
  issue_required: z.boolean().optional(),
  require_self_approval: z.boolean().optional(),
  lgtm_acts_as_approve: z.boolean().optional(),
  ignore_review_state: z.boolean().optional(),
  commandHelpLink: z.string().optional(),
  pr_process_link: z.string().optional(),
});

export const approveSection = pluginSection('approve', z.array(ApproveEntrySchema), (entries, report) =>
  checkReposListedOnce('approve', entries, report),
);

export interface ApproveSettings {
  issueRequired: boolean;
  /** The PR author approves the files they own without saying so (unless `require_self_approval`). */
  selfApproval: boolean;
  lgtmActsAsApprove: boolean;
  /** Approving and changes-requested reviews count (unless `ignore_review_state`). */
  reviewActsAsApprove: boolean;
  commandHelpLink: string;
  prProcessLink: string;
}

export function approveSettingsFor(config: PluginConfig, org: string, repo: string): ApproveSettings {
  const entry = settingsFor(approveSection.read(config), org, repo);
  return {
    issueRequired: entry?.issue_required ?? false,
    selfApproval: !(entry?.require_self_approval ?? false),
    lgtmActsAsApprove: entry?.lgtm_acts_as_approve ?? false,
    reviewActsAsApprove: !(entry?.ignore_review_state ?? false),
    commandHelpLink: entry?.commandHelpLink || DEFAULT_COMMAND_HELP_LINK,
    prProcessLink: entry?.pr_process_link || DEFAULT_PR_PROCESS_LINK,
  };
}

// ---- reading approvals ----

interface Command {
  /** Upper-cased, as Prow compares them. */
  name: string;
  args: string;
}

function commandsIn(body: string): Command[] {
  const commands: Command[] = [];
  for (const line of commandLines(body)) {
    const match = /^\/(\S+)[\t ]*(.*)$/.exec(line);
    if (match) commands.push({ name: (match[1] ?? '').toUpperCase(), args: (match[2] ?? '').trim() });
  }
  return commands;
}

/** `/approve`, `/remove-approve`, or `/lgtm` where it counts as approval. */
export function isApprovalCommand(body: string, lgtmActsAsApprove: boolean): boolean {
  return commandsIn(body).some(
    (command) =>
      command.name === 'APPROVE' || command.name === 'REMOVE-APPROVE' || (command.name === 'LGTM' && lgtmActsAsApprove),
  );
}

/** Reviews that change approval: approved, changes requested, or dismissed. */
export function isApprovalReviewState(state: string | undefined, reviewActsAsApprove: boolean): boolean {
  const upper = (state ?? '').toUpperCase();
  return reviewActsAsApprove && (upper === 'APPROVED' || upper === 'CHANGES_REQUESTED' || upper === 'DISMISSED');
}

/** A comment or review, in the form approvals are read from. */
export interface ApprovalEvent {
  author: string;
  body: string;
  /** ISO time, to put comments and reviews in one order. */
  createdAt: string;
  htmlUrl: string;
  /** Upper-cased review state, for reviews. */
  reviewState?: string;
}

/** Inline review comments, issue comments and submitted reviews, oldest first. */
export function approvalEvents(
  comments: readonly IssueComment[],
  reviews: readonly Review[],
  prHtmlUrl: string,
  reviewComments: readonly ReviewComment[] = [],
): ApprovalEvent[] {
  const events: ApprovalEvent[] = [
    // Prow reads `/approve` in a comment on a line of the diff as well.
    ...reviewComments.map((comment) => ({
      author: comment.user.login,
      body: comment.body,
      createdAt: comment.created_at,
      htmlUrl: comment.html_url ?? `${prHtmlUrl}#discussion_r${comment.id}`,
    })),
    ...comments.map((comment) => ({
      author: comment.user.login,
      body: comment.body,
      createdAt: comment.created_at,
      htmlUrl: comment.html_url ?? `${prHtmlUrl}#issuecomment-${comment.id}`,
    })),
    ...reviews
      .filter((review) => review.state !== 'PENDING')
      .map((review) => ({
        author: review.user.login,
        body: review.body ?? '',
        createdAt: review.submitted_at ?? '',
        htmlUrl: `${prHtmlUrl}#pullrequestreview-${review.id}`,
        reviewState: review.state.toUpperCase(),
      })),
  ];
  const time = (event: ApprovalEvent) => Date.parse(event.createdAt) || 0;
  return events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => time(a.event) - time(b.event) || a.index - b.index)
    .map(({ event }) => event);
}

export interface ApprovalRules {
  prAuthor: string;
  lgtmActsAsApprove: boolean;
  reviewActsAsApprove: boolean;
  isBot: (login: string) => boolean;
}

/** Replays the PR's history into `approvers`: each person's latest word on approval stands. */
export function applyApprovalEvents(approvers: Approvers, events: readonly ApprovalEvent[], rules: ApprovalRules): void {
  for (const event of events) {
    if (!event.author || rules.isBot(event.author)) continue;
    const counts =
      isApprovalCommand(event.body, rules.lgtmActsAsApprove) ||
      isApprovalReviewState(event.reviewState, rules.reviewActsAsApprove);
    if (!counts) continue;

    if (rules.reviewActsAsApprove && event.reviewState === 'APPROVED') {
      approvers.addApprover(event.author, event.htmlUrl, false);
    }
    if (rules.reviewActsAsApprove && event.reviewState === 'CHANGES_REQUESTED') {
      approvers.removeApprover(event.author);
    }
    for (const command of commandsIn(event.body)) {
      if (command.name === 'REMOVE-APPROVE') {
        approvers.removeApprover(event.author);
        continue;
      }
      if (command.name !== 'APPROVE' && !(command.name === 'LGTM' && rules.lgtmActsAsApprove)) continue;
      const args = command.args.toLowerCase();
      if (args.includes('cancel')) {
        approvers.removeApprover(event.author);
        continue;
      }
      const noIssue = args === 'no-issue';
      if (event.author.toLowerCase() === rules.prAuthor.toLowerCase()) {
        approvers.addAuthorSelfApprover(event.author, event.htmlUrl, noIssue);
      }
      if (command.name === 'APPROVE') approvers.addApprover(event.author, event.htmlUrl, noIssue);
      else approvers.addLgtmer(event.author, event.htmlUrl, noIssue);
    }
  }
}

/** The issue a PR body refers to ("#123" or a link to an issue in the org), 0 for none. */
export function findAssociatedIssue(body: string, org: string): number {
  const escapedOrg = org.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`(?:${escapedOrg}/[^/]+/issues/|#)(\\d+)`).exec(body);
  return match ? Number(match[1]) : 0;
}

// ---- the notification ----

export interface NotificationLinks {
  /** Web base for repository links (config.yaml `github.link_url`). */
  linkUrl: string;
  commandHelpLink: string;
  prProcessLink: string;
  org: string;
  repo: string;
  branch: string;
}

function approvalLink(approval: Approval): string {
  return `*<a href="${approval.reference}" title="${approval.how}">${approval.login}</a>*`;
}

function peopleLinks(logins: readonly string[], linkUrl: string): string {
  return logins.map((login) => `[${login}](${linkUrl}/${login})`).join(', ');
}

function ownersFileLines(approvers: Approvers, links: NotificationLinks): string[] {
  const filesApprovers = approvers.filesApprovers();
  const unapproved = approvers.unapprovedFiles();
  const ownersName = approvers.owners.repo.filenames.owners;
  return [...approvers.owners.ownersFiles()].sort().flatMap((directory) => {
    const path = directory.endsWith('.md') ? directory : directory === '' ? ownersName : `${directory}/${ownersName}`;
    const url = `${links.linkUrl}/${links.org}/${links.repo}/blob/${links.branch}/${path}`;
    const who = [...(filesApprovers.get(directory) ?? [])].sort().join(',');
    if (!unapproved.has(directory)) return [`- ~~[${path}](${url})~~ [${who}]`];
    if (who) return [`- **[${path}](${url})** [${who}]`, '  > Partly approved: more approvers are needed for the rest of the files.'];
    return [`- **[${path}](${url})**`];
  });
}

/** The `[APPROVALNOTIFIER]` comment: Prow's layout and marker, in Cutwater's words. */
export function approvalNotification(approvers: Approvers, links: NotificationLinks): string {
  const filesApproved = approvers.areFilesApproved();
  const byHand = approvers.manuallyApproved;
  // Working out suggestions replays the approvals several times over; do it once.
  const ccs = approvers.ccs();
  const lines: string[] = [];

  if (!approvers.requirementsMet() && byHand) {
    lines.push('The approval rules were bypassed: the `approved` label was added by hand.', '');
  }
  const approvals = approvers.listApprovals().map(approvalLink);
  lines.push(`Approved so far by: ${approvals.length > 0 ? approvals.join(', ') : 'nobody yet'}`);

  if (!filesApproved && !byHand) {
    const suggested = ccs.filter((login) => !approvers.isAssignee(login));
    const assigned = ccs.filter((login) => approvers.isAssignee(login));
    const when = '**After review, once this PR has the `lgtm` label**,';
    const process = `The steps are described in [the code review process](${links.prProcessLink}).`;
    if (suggested.length > 0) {
      const assign = `/assign ${suggested.map((login) => `@${login}`).join(' ')}`;
      const ask = assigned.length > 0 ? ` ask ${peopleLinks(assigned, links.linkUrl)} for approval, and` : '';
      lines.push('', `${when}${ask} assign ${peopleLinks(suggested, links.linkUrl)} to approve it (\`${assign}\`). ${process}`);
    } else if (assigned.length > 0) {
      lines.push('', `${when} ask ${peopleLinks(assigned, links.linkUrl)} for approval. ${process}`);
    }
  }
  lines.push('');

  if (approvers.requireIssue) {
    if (approvers.associatedIssue) {
      lines.push(`Linked issue: *#${approvers.associatedIssue}*`);
    } else if (approvers.noIssueApprovers().size > 0) {
      lines.push(`No linked issue is needed, on the word of: ${approvers.listNoIssueApprovals().map(approvalLink).join(', ')}`);
    } else if (byHand) {
      lines.push('*No linked issue*; the requirement was bypassed by the hand-added `approved` label.');
    } else {
      lines.push('*No linked issue.* Reference one in the PR description, or have an approver comment `/approve no-issue`.');
    }
    lines.push('');
  }

  lines.push(`The commands I understand are listed [here](${links.commandHelpLink}?repo=${links.org}%2F${links.repo}).`, '');
  if (filesApproved || byHand) lines.push(`The pull request process is described [here](${links.prProcessLink}).`, '');

  lines.push(
    `<details${!filesApproved && !byHand ? ' open' : ''}>`,
    `Each of these ${approvers.owners.repo.filenames.owners} files needs an approval from one of its approvers:`,
    '',
    ...ownersFileLines(approvers, links),
    '',
    'Approvers approve by commenting `/approve`, and withdraw their approval with `/approve cancel`.',
    '</details>',
  );
  // Machine-readable suggestions, in the form Prow's tooling (gubernator) reads.
  lines.push(`<!-- META=${JSON.stringify({ approvers: ccs })} -->`);

  const title = `This PR is **${approvers.isApproved() ? '' : 'NOT '}APPROVED**`;
  return `${APPROVAL_NOTIFIER_MARKER} ${title}\n\n${lines.join('\n').trim()}`;
}

// ---- the decision ----

export interface ApprovalInput {
  owners: RepoOwners;
  /** The PR's changed files. */
  files: readonly string[];
  number: number;
  author: string;
  body: string;
  htmlUrl: string;
  assignees: readonly string[];
  events: readonly ApprovalEvent[];
  isBot: (login: string) => boolean;
  /** The `approved` label is on and a person put it there. */
  manuallyApproved: boolean;
  settings: ApproveSettings;
  links: NotificationLinks;
}

export interface ApprovalOutcome {
  approved: boolean;
  approvers: Approvers;
  notification: string;
}

export function evaluateApproval(input: ApprovalInput): ApprovalOutcome {
  const approvers = new Approvers(new ChangeOwners(input.owners, input.files, input.number));
  approvers.associatedIssue = findAssociatedIssue(input.body, input.links.org);
  approvers.requireIssue = input.settings.issueRequired;
  approvers.manuallyApproved = input.manuallyApproved;
  if (input.settings.selfApproval) approvers.addAuthorSelfApprover(input.author, `${input.htmlUrl}#`, false);
  applyApprovalEvents(approvers, input.events, {
    prAuthor: input.author,
    lgtmActsAsApprove: input.settings.lgtmActsAsApprove,
    reviewActsAsApprove: input.settings.reviewActsAsApprove,
    isBot: input.isBot,
  });
  approvers.addAssignees(...input.assignees);
  return { approved: approvers.isApproved(), approvers, notification: approvalNotification(approvers, input.links) };
}

export interface NotifierUpdate {
  create?: string;
  edit?: { id: number; body: string };
  /** Older notifier comments, so that only one remains. */
  remove: number[];
}

/** Keeps one notifier: the newest is edited (when its text changed), older ones are deleted. */
export function planNotifierUpdate(existing: readonly { id: number; body: string }[], message: string): NotifierUpdate {
  const latest = existing.at(-1);
  const older = existing.slice(0, -1).map((comment) => comment.id);
  if (!latest) return { create: message, remove: [] };
  if (latest.body.trim() === message.trim()) return { remove: older };
  return { edit: { id: latest.id, body: message }, remove: older };
}

export function isApprovalNotifier(body: string): boolean {
  return NOTIFIER_PATTERN.test(body);
}

// ---- the plugin ----

/**
 * Whether a person, rather than the bot, added the label last, as GitHub's issue events tell
 * (Prow's WasLabelAddedByHuman): no `labeled` event at all counts as not by hand.
 */
export function labelAddedByHuman(events: readonly IssueEvent[], label: string, isBot: (login: string) => boolean): boolean {
  const added = events.findLast((event) => event.event === 'labeled' && event.label?.name === label);
  const actor = added?.actor?.login;
  return actor !== undefined && actor !== '' && !isBot(actor);
}

async function reconcile(context: PluginScope, pull: IssueHandle): Promise<void> {
  const { github, org, repo, log } = context;
  const { number } = pull;
  const settings = approveSettingsFor(context.plugins, org, repo);
  const pr = await pull.getPullRequest();
  const [files, labels, comments, reviewComments, reviews, botLogin] = await Promise.all([
    pull.listPullRequestFiles(),
    pull.listIssueLabels(),
    pull.listComments(),
    pull.listReviewComments(),
    pull.listReviews(),
    github.botLogin(),
  ]);
  const paths = files.map((file) => file.filename);
  const owners = await loadOwnersForPaths(context, pr.base.ref, paths);

  const appBots = new Set(reviews.filter((review) => review.user.type === 'Bot').map((review) => review.user.login));
  const isBot = (login: string) => isBotAccount(botLogin, login) || appBots.has(login);
  const notifiers = comments.filter((comment) => isBotAccount(botLogin, comment.user.login) && isApprovalNotifier(comment.body));
  const hasApprovedLabel = labels.includes(APPROVED_LABEL);
  const manuallyApproved =
    hasApprovedLabel && labelAddedByHuman(await pull.listIssueEvents(), APPROVED_LABEL, (login) => isBotAccount(botLogin, login));

  const outcome = evaluateApproval({
    owners,
    files: paths,
    number,
    author: pr.user.login,
    body: pr.body ?? '',
    htmlUrl: pr.html_url,
    assignees: (pr.assignees ?? []).map((user) => user.login),
    events: approvalEvents(comments, reviews, pr.html_url, reviewComments),
    isBot,
    manuallyApproved,
    settings,
    links: {
      linkUrl: githubLinkUrl(context),
      commandHelpLink: settings.commandHelpLink,
      prProcessLink: settings.prProcessLink,
      org,
      repo,
      branch: pr.base.ref,
    },
  });

  const update = planNotifierUpdate(notifiers, outcome.notification);
  for (const id of update.remove) await context.repository.deleteComment(id);
  if (update.edit) await context.repository.editComment(update.edit.id, update.edit.body);
  if (update.create) await pull.createComment(update.create);

  if (!outcome.approved && hasApprovedLabel) {
    log.info(`removing ${APPROVED_LABEL}`, { number, unapproved: [...outcome.approvers.unapprovedFiles()] });
    await pull.removeLabel(APPROVED_LABEL);
  } else if (outcome.approved && !hasApprovedLabel) {
    log.info(`adding ${APPROVED_LABEL}`, { number });
    await pull.addLabels([APPROVED_LABEL]);
  }
}

export const approve = definePlugin('approve', {
  description:
    'Manages the `approved` label and an approval notification comment on pull requests. A PR is approved once the people who approved it can, between them, approve every changed file: someone can approve a file when they (or an alias they belong to) are listed under `approvers` in an OWNERS file in the file\'s directory or any directory above it, up to an OWNERS file with `no_parent_owners`. The notification lists the OWNERS files that still need an approval and suggests approvers to assign.',
  config:
    'plugins.yaml `approve:` entries (a repo entry wins over its org\'s): `issue_required` (PRs must link an issue or get `/approve no-issue`), `require_self_approval` (authors do not approve their own PRs implicitly), `lgtm_acts_as_approve` (`/lgtm` also approves), `ignore_review_state` (GitHub approving / changes-requested reviews do not count), `commandHelpLink` and `pr_process_link` (links in the notification). `owners:` settings choose the OWNERS file names and whether non-collaborators listed in OWNERS count (`skip_collaborators`).',
  commands: [
    {
      usage: '/[remove-]approve [no-issue|cancel]',
      description:
        'Approves the pull request for the files you are an approver of, or withdraws your approval (`/approve cancel`, `/remove-approve`). `no-issue` also waives the linked-issue requirement where it applies. An approving GitHub review counts as `/approve` and a changes-requested review as `/approve cancel`, unless the repo ignores review state.',
      examples: ['/approve', '/approve no-issue', '/approve cancel', '/remove-approve'],
      who: 'Approvers listed in the OWNERS files for the changed files (anyone may comment, only approvers count).',
      featured: true,
    },
  ],
})
  .settings(approveSection)
  .onComment(async (context) => {
    const { comment } = context;
    if (comment.action !== 'created' || !comment.isPR || comment.issueState === 'closed') return;
    const settings = approveSettingsFor(context.plugins, context.org, context.repo);
    if (!isApprovalCommand(comment.body, settings.lgtmActsAsApprove)) return;
    if (isBotAccount(await context.github.botLogin(), comment.author)) return;
    await reconcile(context, context.issue);
  })
  .on('pull_request_review', async (context) => {
    const { action, review } = context.event.payload;
    if (action !== 'submitted' && action !== 'dismissed') return;
    const settings = approveSettingsFor(context.plugins, context.org, context.repo);
    // A review whose text holds a command is handled as a comment; the command wins over the state.
    if (isApprovalCommand(review.body ?? '', settings.lgtmActsAsApprove)) return;
    if (!isApprovalReviewState(review.state, settings.reviewActsAsApprove)) return;
    if (review.user?.type === 'Bot' || isBotAccount(await context.github.botLogin(), loginOf(review.user))) return;
    await reconcile(context, context.issue);
  })
  .on(
    ['pull_request.opened', 'pull_request.reopened', 'pull_request.synchronize', 'pull_request.labeled'],
    async (context) => {
      const { action, pull_request: pr, sender } = context.event.payload;
      const label = 'label' in context.event.payload ? context.event.payload.label : undefined;
      if (action === 'labeled') {
        if (label?.name !== APPROVED_LABEL || pr.state === 'closed') return;
        if (isBotAccount(await context.github.botLogin(), sender.login)) return;
      }
      await reconcile(context, context.issue);
    },
  );
