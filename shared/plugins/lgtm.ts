import { z } from 'zod';
import type { PluginConfig } from '../config/plugin-config';
import { pluginSection } from '../config/plugin-section';
import { normLogin } from '../owners/owners';
import { loadOwnersForPaths, repoOwnersSettings } from './repo-owners';
import { commandLines } from './comment-event';
import { deleteBotComments, isBotAccount } from '../github/membership';
import { definePlugin, type PluginContext } from './plugin';
import type { IssueHandle } from './handles';
import { loginOf } from './delivery-check';
import { formatResponse } from './respond';
import { settingsFor } from './settings';

/**
 * Prow's lgtm plugin (pkg/plugins/lgtm): `/lgtm` and `/lgtm cancel` add and remove the `lgtm`
 * label. Repository collaborators may use them (and are assigned to the PR when they do, so the
 * reviewer is on record); where plugins.yaml `owners.skip_collaborators` lists the repo, the
 * reviewers and approvers in the changed files' OWNERS files may instead. The author may withdraw
 * an LGTM but not give one. New commits remove the label, unless `store_tree_hash` recorded the
 * tree LGTM was given on and the new head has that same tree.
 */

export const LGTM_LABEL = 'lgtm';

/** Posted when new commits remove the label; found again by this text to be tidied away. */
export const LGTM_REMOVED_NOTICE = 'New commits were pushed to this pull request, so its `lgtm` label has been removed.';
/** Prow's wording of the same notice (pkg/plugins/lgtm), matched so a repository moving from Prow has its old notices tidied too; never posted. */
const PROW_LGTM_REMOVED_NOTICE = 'New changes are detected. LGTM label has been removed.';

export function isLgtmRemovedNotice(body: string): boolean {
  return body.includes(LGTM_REMOVED_NOTICE) || body.includes(PROW_LGTM_REMOVED_NOTICE);
}

/**
 * With `store_tree_hash`, posted when `/lgtm` adds the label: it records the tree the reviewer saw,
 * so a later push of the same content (a squash, a rebase onto the same base) keeps the label.
 * Prow's exact wording, which is found again by this pattern: tooling reads the hash from it.
 */
export function treeHashNotice(treeSha: string): string {
  return `LGTM label has been added.  <details>Git tree hash: ${treeSha}</details>`;
}
const TREE_HASH_NOTICE = /LGTM label has been added\. {2}<details>Git tree hash: (.*)<\/details>/;

/** The tree hash a notice records, or undefined when the text is not one. */
export function treeHashIn(body: string): string | undefined {
  return TREE_HASH_NOTICE.exec(body)?.[1];
}

/** plugins.yaml `lgtm:`: entries for orgs and repos ("org" or "org/repo"). */
export const LgtmEntrySchema = z.object({
  repos: z.array(z.string()).optional(),
  review_acts_as_lgtm: z.boolean().optional(),
  store_tree_hash: z.boolean().optional(),
  trusted_team_for_sticky_lgtm: z.string().optional(),
});

export const lgtmSection = pluginSection('lgtm', z.array(LgtmEntrySchema));

export interface LgtmSettings {
  reviewActsAsLgtm: boolean;
  storeTreeHash: boolean;
  /** Team (by name) whose members' new commits keep the label. */
  stickyLgtmTeam: string | undefined;
}

export function lgtmSettingsFor(config: PluginConfig, org: string, repo: string): LgtmSettings {
  const entry = settingsFor(lgtmSection.read(config), org, repo);
  return {
    reviewActsAsLgtm: entry?.review_acts_as_lgtm ?? false,
    storeTreeHash: entry?.store_tree_hash ?? false,
    stickyLgtmTeam: entry?.trusted_team_for_sticky_lgtm || undefined,
  };
}

export type LgtmRequest = 'add' | 'remove';

/**
 * `/lgtm` (or `/lgtm no-issue`) asks for the label, `/lgtm cancel` or `/remove-lgtm` withdraws it.
 * A comment with both asks for it, as in Prow. Anything else after `/lgtm` is not the command.
 */
export function lgtmRequest(body: string): LgtmRequest | undefined {
  const lines = commandLines(body);
  if (lines.some((line) => /^\/lgtm(?: no-issue)?$/i.test(line))) return 'add';
  if (lines.some((line) => /^\/(?:remove-lgtm|lgtm cancel)$/i.test(line))) return 'remove';
  return undefined;
}

export interface LgtmPermissionInput {
  request: LgtmRequest;
  isAuthor: boolean;
  isAssignee: boolean;
  /** plugins.yaml `owners.skip_collaborators` lists the repo: OWNERS decide instead of collaborator status. */
  skipCollaborators: boolean;
  isCollaborator: boolean;
  /** A reviewer or approver of some changed file (only consulted with skipCollaborators). */
  listedInOwners: boolean;
}

export type LgtmPermission = { allowed: false; reply: string } | { allowed: true; assignCommenter: boolean };

export const SELF_LGTM_REPLY = "pull request authors can't LGTM their own pull requests.";
export const NOT_COLLABORATOR_REPLY = 'only collaborators on this repository can change LGTM.';
export const NOT_IN_OWNERS_REPLY =
  'only the reviewers and approvers listed in the OWNERS files for the changed files can add LGTM.';

/** Who may change LGTM, in Prow's order of checks. */
export function lgtmPermission(input: LgtmPermissionInput): LgtmPermission {
  if (input.isAuthor && input.request === 'add') return { allowed: false, reply: SELF_LGTM_REPLY };
  if (input.isAuthor) return { allowed: true, assignCommenter: false };
  if (!input.skipCollaborators) {
    if (!input.isCollaborator) return { allowed: false, reply: NOT_COLLABORATOR_REPLY };
    // Assigning the reviewer records who looked at the PR.
    return { allowed: true, assignCommenter: !input.isAssignee };
  }
  if (!input.listedInOwners) return { allowed: false, reply: NOT_IN_OWNERS_REPLY };
  return { allowed: true, assignCommenter: false };
}

/** The label change the request needs, if the PR is not already in that state. */
export function lgtmLabelChange(request: LgtmRequest, labels: readonly string[]): LgtmRequest | undefined {
  const has = labels.includes(LGTM_LABEL);
  if (request === 'add' && !has) return 'add';
  if (request === 'remove' && has) return 'remove';
  return undefined;
}

/** GitHub derives a team's slug from its name like this; Prow's setting names the team. */
function teamSlug(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

async function isStickyAuthor(context: PluginContext, settings: LgtmSettings, author: string): Promise<boolean> {
  if (!settings.stickyLgtmTeam) return false;
  return context.github.isTeamMember(context.org, teamSlug(settings.stickyLgtmTeam), author);
}

interface LgtmAction {
  request: LgtmRequest;
  pull: IssueHandle;
  /** Who asked. */
  actor: string;
  prAuthor: string;
  assignees: readonly string[];
  /** What is being answered, for the reply's quote. */
  inReplyTo: { body: string; htmlUrl: string };
}

async function handleRequest(context: PluginContext, action: LgtmAction): Promise<void> {
  const { org, repo, log } = context;
  const { pull } = action;
  const { number } = pull;
  const isAuthor = normLogin(action.actor) === normLogin(action.prAuthor);
  const ownersSettings = repoOwnersSettings(context, org, repo);
  const skipCollaborators = ownersSettings.skipCollaborators;

  const needsCollaborator = !skipCollaborators && !isAuthor;
  const isCollaborator = needsCollaborator ? await context.repository.isCollaborator(action.actor) : false;
  let listedInOwners = false;
  if (skipCollaborators && !isAuthor) {
    const pr = await pull.getPullRequest();
    const paths = (await pull.listPullRequestFiles()).map((file) => file.filename);
    const owners = await loadOwnersForPaths(context, pr.base.ref, paths, ownersSettings);
    const login = normLogin(action.actor);
    listedInOwners = paths.some((path) => owners.approvers(path).has(login) || owners.reviewers(path).has(login));
  }

  const permission = lgtmPermission({
    request: action.request,
    isAuthor,
    isAssignee: action.assignees.some((assignee) => normLogin(assignee) === normLogin(action.actor)),
    skipCollaborators,
    isCollaborator,
    listedInOwners,
  });
  if (!permission.allowed) {
    log.info('refusing LGTM change', { number, by: action.actor, reply: permission.reply });
    await pull.createComment(formatResponse(action.actor, permission.reply, action.inReplyTo));
    return;
  }
  if (permission.assignCommenter) {
    try {
      await pull.addAssignees([action.actor]);
    } catch (error) {
      // Prow carries on when the assignment fails: the LGTM itself was allowed.
      log.warn('could not assign the reviewer', { number, by: action.actor, error: String(error) });
    }
  }

  const settings = lgtmSettingsFor(context.plugins, org, repo);
  const change = lgtmLabelChange(action.request, await pull.listIssueLabels());
  if (change === 'remove') {
    log.info(`removing ${LGTM_LABEL}`, { number, by: action.actor });
    await removeLgtm(pull, action.prAuthor, action.assignees, settings);
    // The recorded tree no longer stands for an LGTM.
    if (settings.storeTreeHash) await deleteBotComments(context.github, pull, (body) => treeHashIn(body) !== undefined);
  } else if (change === 'add') {
    log.info(`adding ${LGTM_LABEL}`, { number, by: action.actor });
    await pull.addLabels([LGTM_LABEL]);
    // A sticky author's pushes keep the label anyway: nothing to record, nothing to tidy.
    if (!(await isStickyAuthor(context, settings, action.prAuthor))) {
      if (settings.storeTreeHash) await recordTreeHash(context, pull);
      await deleteBotComments(context.github, pull, isLgtmRemovedNotice);
    }
  }
}

async function recordTreeHash(context: PluginContext, pull: IssueHandle): Promise<void> {
  try {
    const { head } = await pull.getPullRequest();
    const tree = await context.repository.getCommitTreeSha(head.sha);
    context.log.info('recording the tree LGTM was given on', { number: pull.number, tree });
    await pull.createComment(treeHashNotice(tree));
  } catch (error) {
    // As in Prow: the label stands without the record; the next push then removes it as usual.
    context.log.warn('could not record the tree hash', { number: pull.number, error: String(error) });
  }
}

/**
 * Whether the new head holds exactly the tree LGTM was last given on, by the newest unedited
 * tree-hash notice of the bot's (an edited one could say anything).
 */
async function sameTreeAsLgtm(context: PluginContext, pull: IssueHandle, headSha: string): Promise<boolean> {
  const [botLogin, comments] = await Promise.all([context.github.botLogin(), pull.listComments()]);
  const notice = comments.findLast(
    (comment) => isBotAccount(botLogin, comment.user.login) && comment.updated_at === comment.created_at && treeHashIn(comment.body) !== undefined,
  );
  const recorded = notice === undefined ? undefined : treeHashIn(notice.body);
  if (!recorded) return false;
  const tree = await context.repository.getCommitTreeSha(headSha);
  return tree === recorded;
}

async function removeLgtm(
  pull: IssueHandle,
  prAuthor: string,
  assignees: readonly string[],
  settings: LgtmSettings,
): Promise<void> {
  await pull.removeLabel(LGTM_LABEL);
  // With store_tree_hash, Prow asks the assignees to review again once the LGTM is gone.
  const reviewers = assignees.filter((login) => normLogin(login) !== normLogin(prAuthor));
  if (settings.storeTreeHash && reviewers.length > 0) {
    await pull.requestReviewers(reviewers);
  }
}

function loginsOf(users: readonly ({ login: string } | null)[] | null | undefined): string[] {
  return (users ?? []).map(loginOf);
}

export const lgtm = definePlugin('lgtm', {
  description:
    "Adds and removes the `lgtm` (Looks Good To Me) label, which usually gates merging. New commits pushed to the PR remove the label again (unless the author is in the repo's sticky-LGTM team).",
  config:
    'plugins.yaml `lgtm:` entries (a repo entry wins over its org\'s): `review_acts_as_lgtm` (an approving GitHub review adds LGTM and a changes-requested review removes it), `store_tree_hash` (adding LGTM records the head commit\'s tree hash in a comment, so a push that leaves the content as it was, such as a squash, keeps the label; removing LGTM asks the assignees to review again), `trusted_team_for_sticky_lgtm` (new commits from members of this team keep the label). With `owners.skip_collaborators` listing the repo, OWNERS reviewers and approvers decide who may LGTM instead of collaborator status.',
  commands: [
    {
      usage: '/[remove-]lgtm [cancel]',
      description:
        'Adds the `lgtm` label (`/lgtm`), or removes it (`/lgtm cancel`, `/remove-lgtm`). Collaborators who LGTM a PR they are not assigned to are assigned to it. With `review_acts_as_lgtm`, approving or requesting changes in a GitHub review does the same.',
      examples: ['/lgtm', '/lgtm cancel', '/remove-lgtm'],
      who: "Collaborators on the repository (or, where the repo skips the collaborator check, reviewers and approvers in the changed files' OWNERS). The PR author may use `/lgtm cancel` but not `/lgtm`.",
      featured: true,
    },
  ],
})
  .settings(lgtmSection)
  .onComment(async (context) => {
    const { comment } = context;
    if (!comment.isPR || comment.issueState !== 'open' || comment.action !== 'created') return;
    const request = lgtmRequest(comment.body);
    if (!request) return;
    await handleRequest(context, {
      request,
      pull: context.issue,
      actor: comment.author,
      prAuthor: comment.issueAuthor,
      assignees: comment.assignees,
      inReplyTo: { body: comment.body, htmlUrl: comment.htmlUrl },
    });
  })
  .on('pull_request_review.submitted', async (context) => {
    if (!lgtmSettingsFor(context.plugins, context.org, context.repo).reviewActsAsLgtm) return;
    const { review, pull_request: pr } = context.event.payload;
    // A review carrying a command is handled as a comment.
    if (lgtmRequest(review.body ?? '')) return;
    const state = review.state.toUpperCase();
    const request: LgtmRequest | undefined =
      state === 'APPROVED' ? 'add' : state === 'CHANGES_REQUESTED' ? 'remove' : undefined;
    if (!request) return;
    // Other Apps' reviews cannot be collaborators' reviews.
    const reviewer = loginOf(review.user);
    if (review.user?.type === 'Bot' || isBotAccount(await context.github.botLogin(), reviewer)) return;
    await handleRequest(context, {
      request,
      pull: context.issue,
      actor: reviewer,
      prAuthor: loginOf(pr.user),
      assignees: loginsOf(pr.assignees),
      inReplyTo: { body: review.body ?? '', htmlUrl: review.html_url },
    });
  })
  .on('pull_request.synchronize', async (context) => {
    const { pull_request: pr } = context.event.payload;
    if (pr.merged) return;
    const { issue, org, repo, log } = context;
    const settings = lgtmSettingsFor(context.plugins, org, repo);
    const author = loginOf(pr.user);
    if (await isStickyAuthor(context, settings, author)) return;
    if (!(await issue.listIssueLabels()).includes(LGTM_LABEL)) return;
    if (settings.storeTreeHash && (await sameTreeAsLgtm(context, issue, pr.head.sha))) {
      log.info(`keeping ${LGTM_LABEL}: the new head has the tree it was given on`, { number: issue.number });
      return;
    }
    log.info(`removing ${LGTM_LABEL} after new commits`, { number: issue.number });
    await removeLgtm(issue, author, loginsOf(pr.assignees), settings);
    await issue.createComment(LGTM_REMOVED_NOTICE);
  });
