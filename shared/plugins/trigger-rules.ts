import type { MembershipChecks } from '../github/membership';
import { compileGoRegexp } from '../go/regexp';
import type { Presubmit } from '../config/model';
import { z } from 'zod';
import type { PluginConfig } from '../config/plugin-config';
import { pluginSection } from '../config/plugin-section';
import type { AvailablePresubmits } from '../jobs/comment-commands';
import {
  OK_TO_TEST,
  OK_TO_TEST_CANCEL,
  RETEST,
  RETEST_REQUIRED,
  TEST_ALL,
  TEST_MANUAL_REQUIRED,
} from '../jobs/comment-commands';
import { triggerMatches } from '../jobs/should-run';
import { isFinalState } from '../prowjob/lifecycle';
import type { StoredJob } from '../store/store';
import { LGTM_LABEL } from './lgtm';
import { COMMAND_HELP_FOOTER } from './respond';
import { settingsFor } from './settings';

/**
 * The trigger plugin's decisions, free of I/O so each can be tested on its own: who is trusted,
 * what a comment does to the ok-to-test labels, when `/test` is answered with the job list, what
 * a pull request event asks for, and which running jobs a newer run replaces. The handlers in
 * trigger.ts gather the facts and carry the decisions out.
 */

/** Prow's fixed label names: users and other tools (tide queries, dashboards) rely on them. */
export const OK_TO_TEST_LABEL = 'ok-to-test';
export const NEEDS_OK_TO_TEST_LABEL = 'needs-ok-to-test';

/** Prow's description on the jobs the trigger aborts: reporters and people search for it. */
export const ABORTED_DESCRIPTION = 'Aborted by trigger plugin.';

/** Prow's default for `org_invite.prominent.merged_pr_threshold`. */
export const DEFAULT_MERGED_PR_THRESHOLD = 3;

/**
 * plugins.yaml `triggers:`: entries for orgs and repos ("org" or "org/repo"). Owned by trigger and
 * declared here, beside the rules, because the other readers of a repository's trust settings
 * (skip, retitle, welcome, verify-owners, the status pages' rerun permission) use these rules too.
 */
export const TriggerSchema = z.object({
  repos: z.array(z.string()).optional(),
  trusted_apps: z.array(z.string()).optional(),
  trusted_org: z.string().optional(),
  join_org_url: z.string().optional(),
  only_org_members: z.boolean().optional(),
  ignore_ok_to_test: z.boolean().optional(),
  trigger_github_workflows: z.boolean().optional(),
  org_invite: z
    .object({
      prominent: z
        .object({
          disabled: z.boolean().optional(),
          merged_pr_threshold: z.number().int().optional(),
          message: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
});
export type Trigger = z.infer<typeof TriggerSchema>;

export const triggersSection = pluginSection('triggers', z.array(TriggerSchema));

export function triggerSettings(config: PluginConfig, org: string, repo: string): Trigger {
  return settingsFor(triggersSection.read(config), org, repo) ?? {};
}

/** `ignore_ok_to_test` turns `/ok-to-test` (and its cancel) off for the repository. */
export function honorsOkToTest(settings: Trigger): boolean {
  return !settings.ignore_ok_to_test;
}

// ---------------------------------------------------------------------------------------------
// Trust


export interface TrustDecision {
  trusted: boolean;
  /** For an untrusted user: which conditions they fail, for logs and for plugins that explain it. */
  reason?: string;
}

/** What Prow tells an untrusted user they lack. */
export function untrustedReason(missing: { member: boolean; collaborator: boolean; secondaryMember: boolean }): string {
  const parts: string[] = [];
  if (missing.member) parts.push('They are not a member of the organisation.');
  if (missing.collaborator) parts.push('They are not a collaborator on the repository.');
  if (missing.secondaryMember) parts.push('They are not a member of the trusted organisation.');
  parts.push('Meeting any one of these conditions makes a user trusted.');
  return parts.join(' ');
}

/** `trusted_apps` lists GitHub Apps by name; their comments and PRs come from "<name>[bot]". */
export function isTrustedApp(login: string, trustedApps: readonly string[] | undefined): boolean {
  if (!login.endsWith('[bot]')) return false;
  const app = login.slice(0, -'[bot]'.length);
  return (trustedApps ?? []).includes(app);
}

/**
 * Prow's `TrustedUser`: the bot itself; a member of the repository's organisation; a collaborator
 * (unless `only_org_members`); a trusted app; or a member of `trusted_org`. Asked in that order,
 * cheapest first, stopping at the first yes.
 */
export async function trustedUser(
  checks: MembershipChecks,
  settings: Trigger,
  user: string,
  org: string,
  repo: string,
): Promise<TrustDecision> {
  if (await checks.isBot(user)) return { trusted: true };
  if (await checks.isOrgMember(org, user)) return { trusted: true };
  const onlyOrgMembers = settings.only_org_members ?? false;
  if (!onlyOrgMembers && (await checks.isCollaborator(org, repo, user))) return { trusted: true };
  if (isTrustedApp(user, settings.trusted_apps)) return { trusted: true };
  const secondary = settings.trusted_org;
  if (!secondary || secondary === org) {
    return {
      trusted: false,
      reason: untrustedReason({ member: true, collaborator: !onlyOrgMembers, secondaryMember: false }),
    };
  }
  if (await checks.isOrgMember(secondary, user)) return { trusted: true };
  return {
    trusted: false,
    reason: untrustedReason({ member: true, collaborator: !onlyOrgMembers, secondaryMember: true }),
  };
}

/** Prow's `TrustedPullRequest`, once the facts are known: a trusted author, or the ok-to-test label. */
export function pullRequestTrusted(authorTrusted: boolean, labels: readonly string[]): boolean {
  return authorTrusted || labels.includes(OK_TO_TEST_LABEL);
}

// ---------------------------------------------------------------------------------------------
// Comments

/**
 * Prow's `markdown.DropCodeBlock`: commands inside fenced code blocks are examples, not commands.
 * Its pattern, /^```[\s\S]*?(?:\n```\n|\n```$)|^~~~…/gm: a line starting with a fence, up to the
 * first later line that is that fence alone (with its newline). Not run as a JavaScript regular
 * expression, which would scan to the end from every line that opens a fence never closed —
 * quadratic in a comment of such lines. Here the closing lines are found once, in order, and
 * each opening takes the first closing after it: one pass.
 */
export function dropCodeBlocks(text: string): string {
  const closings = CODE_FENCES.map((fence) => closingFenceLines(text, fence));
  const nextClosing = CODE_FENCES.map(() => 0);
  let kept = '';
  let from = 0;
  let at = 0;
  while (at < text.length) {
    const fence = isLineStart(text, at) ? CODE_FENCES.findIndex((candidate) => text.startsWith(candidate, at)) : -1;
    if (fence === -1) {
      at++;
      continue;
    }
    const ofFence = closings[fence]!;
    let next = nextClosing[fence]!;
    // Openings only move forward, so closings before this one can never close a later one either.
    while (next < ofFence.length && ofFence[next]! < at + FENCE_LENGTH) next++;
    nextClosing[fence] = next;
    const closing = ofFence[next];
    if (closing === undefined) {
      at++;
      continue;
    }
    const afterFence = closing + 1 + FENCE_LENGTH;
    const end = text[afterFence] === '\n' ? afterFence + 1 : afterFence;
    kept += text.slice(from, at);
    from = at = end;
  }
  return kept + text.slice(from);
}

const CODE_FENCES = ['```', '~~~'] as const;
const FENCE_LENGTH = 3;

/** A line terminator as a JavaScript multiline `^` and `$` see one. */
function isLineTerminator(character: string | undefined): boolean {
  return character === '\n' || character === '\r' || character === '\u2028' || character === '\u2029';
}

function isLineStart(text: string, at: number): boolean {
  return at === 0 || isLineTerminator(text[at - 1]);
}

/** Where each line that is `fence` alone begins (at its preceding "\n"), in order. */
function closingFenceLines(text: string, fence: string): number[] {
  const found: number[] = [];
  const marker = `\n${fence}`;
  for (let at = text.indexOf(marker); at !== -1; at = text.indexOf(marker, at + 1)) {
    const after = at + marker.length;
    if (after === text.length || isLineTerminator(text[after])) found.push(at);
  }
  return found;
}

const TEST_HELP = compileGoRegexp('(?m)^/test[ \\t]*\\?\\s*$');
const EMPTY_TEST = compileGoRegexp('(?m)^/test\\s*$');
const RETEST_WITH_TARGET = compileGoRegexp('(?m)^/retest[ \\t]+\\S+');
const TEST_WITH_ANY_TARGET = compileGoRegexp('(?m)^/test[ \\t]+\\S+');
const ANY_TEST = compileGoRegexp('(?m)^/(?:re)?test\\b');

/** Prow's `MayNeedHelpComment`: a `/test` or `/retest` that might be answered with the job list. */
function mayNeedHelp(text: string): boolean {
  return EMPTY_TEST.test(text) || RETEST_WITH_TARGET.test(text) || TEST_WITH_ANY_TARGET.test(text) || TEST_HELP.test(text);
}

/** Prow's `commentMatchesTrigger`: is this comment the trigger plugin's business at all? */
export function commentConcernsTrigger(text: string, presubmits: readonly Presubmit[]): boolean {
  return (
    RETEST.test(text) ||
    RETEST_REQUIRED.test(text) ||
    TEST_MANUAL_REQUIRED.test(text) ||
    OK_TO_TEST.test(text) ||
    OK_TO_TEST_CANCEL.test(text) ||
    TEST_ALL.test(text) ||
    mayNeedHelp(text) ||
    presubmits.some((job) => triggerMatches(job, text))
  );
}

/** Does the comment ask for `/retest` or `/retest-required` (Prow labels those jobs as retests)? */
export function isRetest(text: string): boolean {
  return RETEST.test(text) || RETEST_REQUIRED.test(text);
}

/** The reply to a command from an untrusted user on an untrusted pull request. */
export function untrustedCommandReply(honorOkToTest: boolean): string {
  return honorOkToTest
    ? 'I can start tests on this pull request only after a trusted member of the organisation has looked at it and commented `/ok-to-test`.'
    : 'In this repository `/ok-to-test` cannot make a pull request trusted, so its author can never start tests themselves; collaborators can still start them with `/test`.';
}

export const CANCEL_REFUSED_REPLY = 'Only trusted users may withdraw an `/ok-to-test`.';

export interface CommentLabelInput {
  /** The pull request's labels before the comment. */
  labels: readonly string[];
  /** The comment, code blocks dropped. */
  text: string;
  honorOkToTest: boolean;
  /** Is the commenter trusted in their own right (not just commenting on a trusted PR)? */
  commenterTrusted: boolean;
}

export interface CommentLabelPlan {
  add: string[];
  remove: string[];
  /** A reply to post (an untrusted user's `/ok-to-test cancel`). */
  reply?: string;
  /** `/ok-to-test cancel` ends the handling: it starts no jobs. */
  stop: boolean;
}

/**
 * What a comment on a trusted pull request does to the ok-to-test labels, in Prow's order:
 * `/ok-to-test` adds ok-to-test; with ok-to-test in place needs-ok-to-test goes; `/ok-to-test
 * cancel` from a trusted user puts needs-ok-to-test back and takes ok-to-test away.
 */
export function planCommentLabels(input: CommentLabelInput): CommentLabelPlan {
  const labels = new Set(input.labels);
  const okToTest = input.honorOkToTest && OK_TO_TEST.test(input.text);
  if (okToTest) labels.add(OK_TO_TEST_LABEL);
  if (labels.has(OK_TO_TEST_LABEL)) labels.delete(NEEDS_OK_TO_TEST_LABEL);
  let reply: string | undefined;
  let stop = false;
  if (input.honorOkToTest && OK_TO_TEST_CANCEL.test(input.text)) {
    stop = true;
    if (input.commenterTrusted) {
      labels.delete(OK_TO_TEST_LABEL);
      labels.add(NEEDS_OK_TO_TEST_LABEL);
    } else {
      reply = CANCEL_REFUSED_REPLY;
    }
  }
  const before = new Set(input.labels);
  return {
    // Adding before removing, as Prow does, so the PR is never briefly without either label.
    add: [...labels].filter((label) => !before.has(label)),
    remove: [...before].filter((label) => !labels.has(label)),
    ...(reply ? { reply } : {}),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// `/test` help

/** Notes that open a help reply; they also let a later `/test` find and delete the reply. */
export const HELP_NOTES = {
  testWithoutTarget: '`/test` needs the name of at least one job, or `all`.\n',
  retestWithTarget: '`/retest` takes no job names: it reruns the jobs that failed.\n',
  targetNotFound: 'None of the jobs named after `/test` exist for this pull request.\n',
  noTestAllJobs: 'There are no jobs here that `/test all` would start.\n',
} as const;
const REQUIRED_HEADING = 'Commands that start required jobs:';
const OPTIONAL_HEADING = 'Commands that start optional jobs:';
/**
 * Prow's wording of the same replies (pkg/pjutil/help.go), matched so a repository moving from
 * Prow has its old help replies pruned too; never posted.
 */
const PROW_HELP_PHRASES = [
  'The `/test` command needs one or more targets.\n',
  'The `/retest` command does not accept any targets.\n',
  'The specified target(s) for `/test` were not found.\n',
  'No jobs can be run with `/test all`.\n',
  'The following commands are available to trigger required jobs:',
  'The following commands are available to trigger optional jobs:',
];

/** Prow's `ShouldRespondWithHelp`: answer with the job list, and which note to lead with. */
export function helpNeeded(text: string, selectedCount: number): { needed: boolean; note: string } {
  if (TEST_HELP.test(text)) return { needed: true, note: '' };
  if (EMPTY_TEST.test(text)) return { needed: true, note: HELP_NOTES.testWithoutTarget };
  if (RETEST_WITH_TARGET.test(text)) return { needed: true, note: HELP_NOTES.retestWithTarget };
  if (selectedCount === 0 && TEST_ALL.test(text)) return { needed: true, note: HELP_NOTES.noTestAllJobs };
  if (selectedCount === 0 && TEST_WITH_ANY_TARGET.test(text)) return { needed: true, note: HELP_NOTES.targetNotFound };
  return { needed: false, note: '' };
}

/** Prow's `ShouldRespondByPruningHelp`: a real `/test` or `/retest` makes earlier help replies stale. */
export function makesHelpStale(text: string): boolean {
  return ANY_TEST.test(text);
}

/** Is this one of our help replies (to delete once it is stale)? */
export function isHelpComment(body: string): boolean {
  return (
    Object.values(HELP_NOTES).some((note) => body.includes(note)) ||
    body.includes(REQUIRED_HEADING) ||
    body.includes(OPTIONAL_HEADING) ||
    PROW_HELP_PHRASES.some((phrase) => body.includes(phrase))
  );
}

function codeList(items: readonly string[]): string {
  return items.map((item) => `\n\`\`\`\n${item}\n\`\`\``).join('');
}

/** Prow's `HelpMessage`: the `/test` commands that work here, required first, then what `/test all` does. */
export function helpMessage(org: string, repo: string, branch: string, note: string, available: AvailablePresubmits): string {
  const { testAll, required, optional } = available;
  if (testAll.length + required.length + optional.length === 0) {
    return `There are no presubmit jobs for ${org}/${repo} on branch ${branch}.`;
  }
  let message = note;
  if (required.length > 0) message += `${REQUIRED_HEADING}${codeList(required)}\n\n`;
  if (optional.length > 0) message += `${OPTIONAL_HEADING}${codeList(optional)}\n\n`;
  if (testAll.length === required.length + optional.length) {
    message += '`/test all` starts every one of them.\n';
  } else if (testAll.length > 0) {
    message += `\`/test all\` starts the jobs that run automatically:${codeList(testAll)}\n\n`;
  }
  return message;
}

// ---------------------------------------------------------------------------------------------
// Pull request events

/** Enough of a pull_request webhook to decide what it asks of the trigger. */
export interface PullRequestEventFacts {
  action: string;
  /** For `labeled`. */
  label?: string;
  /** For `edited`: did the base branch or its SHA change? */
  baseChanged?: boolean;
  /** For `labeled`: was the label added by the bot itself (from an `/ok-to-test`)? */
  senderIsBot?: boolean;
}

export type PullRequestPlan =
  /** Opened: run everything if the author is trusted, otherwise welcome them and ask for `/ok-to-test`. */
  | 'run-or-welcome'
  /** Run everything if the PR is trusted (and drop needs-ok-to-test). */
  | 'run-if-trusted'
  /** A new head: abort the old head's runs, then run everything if trusted. */
  | 'abort-then-run-if-trusted'
  /** lgtm on an untrusted PR: run everything once. */
  | 'run-if-untrusted'
  /** Someone other than the bot added ok-to-test: run everything. */
  | 'run'
  /** Closed, or back to draft: stop what is running. */
  | 'abort'
  | 'nothing';

/** Prow's `handlePR` switch. */
export function pullRequestPlan(facts: PullRequestEventFacts): PullRequestPlan {
  switch (facts.action) {
    case 'opened':
      return 'run-or-welcome';
    case 'reopened':
    case 'ready_for_review':
      return 'run-if-trusted';
    case 'edited':
      return facts.baseChanged ? 'run-if-trusted' : 'nothing';
    case 'synchronize':
      return 'abort-then-run-if-trusted';
    case 'labeled':
      if (facts.label === LGTM_LABEL) return 'run-if-untrusted';
      if (facts.label === OK_TO_TEST_LABEL && !facts.senderIsBot) return 'run';
      return 'nothing';
    case 'closed':
    case 'converted_to_draft':
      return 'abort';
    default:
      return 'nothing';
  }
}

/** The message for a trusted author's draft pull request. */
export function draftMessage(): string {
  return [
    'This pull request is a draft, so I am not running CI on it.',
    'To get CI results, mark it ready for review; to run the tests anyway, comment `/test all`.',
  ].join('\n');
}

export interface WelcomeInput {
  author: string;
  org: string;
  settings: Trigger;
  /** Has the author had enough PRs merged in the org to be nudged firmly towards membership? */
  frequentContributor: boolean;
  /** github.com, or the GitHub Enterprise host. */
  host?: string;
}

/** Where `join_org_url` points by default: the org's people page. */
export function joinOrgUrl(settings: Trigger, org: string, host = 'github.com'): string {
  return settings.join_org_url || `https://${host}/orgs/${org}/people`;
}

/** Prow's `orgInvitationGuidance`: a plain hint, or a prominent one for frequent contributors. */
export function orgInviteGuidance(settings: Trigger, joinUrl: string, frequentContributor: boolean): string {
  const prominent = settings.org_invite?.prominent;
  if (prominent?.disabled || !frequentContributor) {
    return `Regular contributors can skip this step by [joining the organisation](${joinUrl}).`;
  }
  if (prominent?.message) return prominent.message.replaceAll('{join_org_url}', joinUrl);
  return [
    '>[!TIP]',
    `>**You have had several pull requests merged here. [Joining the organisation](${joinUrl}) would let your pull requests be tested straight away and give you \`/lgtm\` and the other commands for members.** The approvers of your earlier pull requests are good people to ask to sponsor you.`,
  ].join('\n');
}

/** Is it worth searching for the author's merged pull requests? Not for bots, nor when the nudge is off. */
export function mayNudgeToJoin(settings: Trigger, authorIsBot: boolean): boolean {
  return !authorIsBot && !settings.org_invite?.prominent?.disabled;
}

/** Has the author had enough pull requests merged in the org to be nudged firmly towards joining? */
export function isFrequentContributor(mergedPullRequests: number, settings: Trigger): boolean {
  const threshold = settings.org_invite?.prominent?.merged_pr_threshold ?? DEFAULT_MERGED_PR_THRESHOLD;
  return mergedPullRequests >= threshold;
}

/** Prow's welcome for a pull request from an untrusted author (no jobs run until `/ok-to-test`). */
export function welcomeMessage(input: WelcomeInput): string {
  const host = input.host ?? 'github.com';
  const { author, org, settings } = input;
  if (settings.ignore_ok_to_test) {
    return [
      `Hi @${author}, thank you for the pull request.`,
      '',
      'In this repository `/ok-to-test` cannot mark a pull request from an untrusted author as trusted, so you cannot start the tests yourself. Collaborators can start them for you with `/test all`.',
      '',
      COMMAND_HELP_FOOTER,
    ].join('\n');
  }
  const members = `[${org}](https://${host}/orgs/${org}/people)`;
  const secondary =
    settings.trusted_org && settings.trusted_org !== org
      ? ` or [${settings.trusted_org}](https://${host}/orgs/${settings.trusted_org}/people)`
      : '';
  const guidance = orgInviteGuidance(settings, joinOrgUrl(settings, org, host), input.frequentContributor);
  return [
    `Hi @${author}, thank you for the pull request.`,
    '',
    `Before I test it, a member of ${members}${secondary} needs to check that it is safe to test. If it is, they should comment \`/ok-to-test\` on a line of its own. Until then I will not test new commits here automatically, though members can still start tests with the usual commands.`,
    '',
    guidance,
    '',
    `Once someone has checked the patch, the \`${OK_TO_TEST_LABEL}\` label will show it.`,
    '',
    COMMAND_HELP_FOOTER,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Aborting

function pullOf(stored: StoredJob) {
  return stored.job.spec.refs?.pulls?.[0];
}

function stateOf(stored: StoredJob) {
  return stored.job.status?.state ?? 'triggered';
}

/**
 * Prow's `abortAllJobs`: a pull request's presubmits that have not finished. Runs already at
 * `keepHeadSha` are kept, so a redelivered `synchronize` does not abort the jobs it created.
 */
export function presubmitsToAbort(jobs: readonly StoredJob[], keepHeadSha?: string): StoredJob[] {
  return jobs.filter(
    (stored) =>
      stored.job.spec.type === 'presubmit' &&
      !isFinalState(stateOf(stored)) &&
      (keepHeadSha === undefined || pullOf(stored)?.sha !== keepHeadSha),
  );
}

function pullNumbers(stored: StoredJob): string {
  return (stored.job.spec.refs?.pulls ?? [])
    .map((pull) => pull.number)
    .sort((a, b) => a - b)
    .join(',');
}

/**
 * Prow's `TerminateOlderJobs` for one new run: unfinished presubmits of the same job against the
 * same pull request(s) and base branch, started before it. Only older ones, so repeating the
 * delivery that created `newer` finds nothing new to abort.
 */
export function supersededRuns(jobs: readonly StoredJob[], newer: StoredJob): StoredJob[] {
  const refs = newer.job.spec.refs;
  return jobs.filter(
    (stored) =>
      stored.job.metadata.name !== newer.job.metadata.name &&
      stored.job.spec.type === 'presubmit' &&
      stored.job.spec.job === newer.job.spec.job &&
      stored.job.spec.refs?.org === refs?.org &&
      stored.job.spec.refs?.repo === refs?.repo &&
      stored.job.spec.refs?.base_ref === refs?.base_ref &&
      pullNumbers(stored) === pullNumbers(newer) &&
      stored.createdAt < newer.createdAt &&
      !isFinalState(stateOf(stored)),
  );
}

// ---------------------------------------------------------------------------------------------
// Pushes

/** Prow's `PushEvent.Branch`: the branch (or tag) name a push updated. */
export function pushedRef(ref: string): string {
  return ref.replace(/^refs\/heads\//, '').replace(/^refs\/tags\//, '');
}

const ZERO_SHA = /^0{40}$/;

/** A push that deletes a branch starts nothing. */
export function isDeletion(push: { deleted?: boolean | null | undefined; after: string }): boolean {
  return Boolean(push.deleted) || ZERO_SHA.test(push.after);
}

/** Every file the pushed commits added, removed or modified, each once. */
export function pushChangedFiles(
  commits: readonly { added?: readonly string[] | null; removed?: readonly string[] | null; modified?: readonly string[] | null }[],
): string[] {
  const files = new Set<string>();
  for (const commit of commits) {
    for (const file of [...(commit.added ?? []), ...(commit.removed ?? []), ...(commit.modified ?? [])]) files.add(file);
  }
  return [...files];
}
