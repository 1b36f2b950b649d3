import type { EmitterWebhookEvent } from '@octokit/webhooks';
import { deleteBotComments, membershipChecks, type MembershipChecks } from '../github/membership';
import type { Presubmit } from '../config/model';
import { changedFilesOnce, fixedChangedFiles, type ChangedFilesProvider } from '../jobs/changes';
import { availablePresubmits, presubmitsForComment, type ContextState } from '../jobs/comment-commands';
import { postsubmitsForPush, presubmitsForPullRequest } from '../jobs/should-run';
import {
  newPostsubmitJob,
  newPresubmitJob,
  PROW_LABELS,
  refsForPullRequest,
  type PullRequestForRefs,
} from '../jobs/factory';
import type { Refs } from '../prowjob/schema';
import type { StoredJob } from '../store/store';
import { loginOf } from './delivery-check';
import type { CommentEvent } from './comment-event';
import type { IssueHandle } from './handles';
import type { CommentContext, EventContext, PluginScope } from './plugin';
import { definePlugin } from './plugin';
import { replyTo } from './respond';
import {
  ABORTED_DESCRIPTION,
  commentConcernsTrigger,
  draftMessage,
  dropCodeBlocks,
  helpMessage,
  helpNeeded,
  honorsOkToTest,
  isDeletion,
  isFrequentContributor,
  isHelpComment,
  isRetest,
  makesHelpStale,
  mayNudgeToJoin,
  NEEDS_OK_TO_TEST_LABEL,
  OK_TO_TEST_LABEL,
  planCommentLabels,
  presubmitsToAbort,
  pullRequestPlan,
  pullRequestTrusted,
  pushChangedFiles,
  pushedRef,
  supersededRuns,
  triggerSettings,
  triggersSection,
  type Trigger,
  trustedUser,
  untrustedCommandReply,
  welcomeMessage,
} from './trigger-rules';

/**
 * Prow's trigger plugin (pkg/plugins/trigger): starts presubmits when a trusted pull request is
 * opened or updated, and on `/test`, `/retest` and `/ok-to-test`; asks for `/ok-to-test` on pull
 * requests from people it does not trust; aborts a pull request's runs when it moves on; and
 * starts postsubmits on pushes. The decisions are in trigger-rules.ts; this file does the I/O.
 */

type PullRequestAction = (typeof PULL_REQUEST_ACTIONS)[number];
type PullRequestEvent = EmitterWebhookEvent<PullRequestAction>['payload'];

/** A pull request as the trigger uses it, whether from a webhook or from the API. */
interface TriggerPullRequest extends PullRequestForRefs {
  user: PullRequestForRefs['user'] & { type?: string | null | undefined };
  draft?: boolean | null | undefined;
  mergeable?: boolean | null | undefined;
  base: PullRequestForRefs['base'] & { sha: string };
}

/** The webhook's pull request in the shape the API's has, which the rest of the trigger reads. */
function triggerPullRequestOf(pr: PullRequestEvent['pull_request']): TriggerPullRequest {
  return {
    number: pr.number,
    title: pr.title,
    html_url: pr.html_url,
    user: { login: loginOf(pr.user), type: pr.user?.type },
    head: { ref: pr.head.ref, sha: pr.head.sha },
    base: { ref: pr.base.ref, sha: pr.base.sha, repo: { name: pr.base.repo.name, owner: { login: loginOf(pr.base.repo.owner) } } },
    draft: pr.draft,
    mergeable: pr.mergeable,
  };
}

const PULL_REQUEST_ACTIONS = [
  'pull_request.opened',
  'pull_request.reopened',
  'pull_request.edited',
  'pull_request.synchronize',
  'pull_request.labeled',
  'pull_request.closed',
  'pull_request.ready_for_review',
  'pull_request.converted_to_draft',
] as const;

export const trigger = definePlugin('trigger', {
  description: [
    'Starts jobs in response to pull requests, comments and pushes.',
    'Presubmits run automatically on trusted pull requests that are not drafts, when their branch and file filters match the change.',
    "A pull request is trusted when its author is a member of the repository's trusted organisation (or a collaborator, or a trusted app), or when such a member has commented `/ok-to-test`; until then it carries the `needs-ok-to-test` label and nothing runs automatically.",
    'A trusted user can withdraw that trust with `/ok-to-test cancel`, which puts `needs-ok-to-test` back.',
    'Draft pull requests are not tested automatically, and turning a pull request back into a draft, closing it, or pushing new commits aborts its unfinished jobs.',
    'Jobs can always be started by hand with `/test`; `/retest` reruns the ones that failed.',
    'Postsubmits start when commits are pushed to a branch their branch and file filters match.',
  ].join(' '),
  config: [
    'Reads the `triggers` entry for the repository (a repo entry wins over an org entry):',
    '`trusted_org` (a second organisation whose members are trusted),',
    '`only_org_members` (collaborators are not trusted),',
    '`trusted_apps` (GitHub Apps whose "<name>[bot]" users are trusted),',
    '`ignore_ok_to_test` (`/ok-to-test` is disabled),',
    '`join_org_url` and `org_invite.prominent` (what the welcome message says about joining the organisation).',
    'Jobs come from the presubmits and postsubmits configured for the repository.',
  ].join(' '),
  commands: [
    {
      usage: '/ok-to-test',
      description: 'Marks the pull request as trusted (the `ok-to-test` label) and starts its tests.',
      examples: ['/ok-to-test'],
      who: "Members of the repository's trusted organisation.",
    },
    {
      usage: '/ok-to-test cancel',
      description: 'Withdraws the trust `/ok-to-test` gave: removes `ok-to-test` and adds `needs-ok-to-test` again.',
      examples: ['/ok-to-test cancel'],
      who: "Members of the repository's trusted organisation.",
    },
    {
      usage: '/test [<job name>…|all]',
      description:
        'Starts the named jobs, or with `all` every job that would run automatically. With no name, or a name that matches no job, lists the jobs that can be started.',
      examples: ['/test all', '/test pull-widgets-unit'],
      who: 'Anyone on a trusted pull request; trusted users on any pull request.',
      featured: true,
    },
    {
      usage: '/retest',
      description: 'Reruns the jobs whose statuses failed, and starts required jobs that have not reported yet.',
      examples: ['/retest'],
      who: 'Anyone on a trusted pull request; trusted users on any pull request.',
      featured: true,
    },
    {
      usage: '/retest-required',
      description: 'Like `/retest`, but only for jobs that are not optional.',
      examples: ['/retest-required'],
      who: 'Anyone on a trusted pull request; trusted users on any pull request.',
    },
    {
      usage: '/test-manual-required',
      description: 'Starts the required jobs that only run when asked for (no `always_run` and no file filter).',
      examples: ['/test-manual-required'],
      who: 'Anyone on a trusted pull request; trusted users on any pull request.',
    },
    {
      usage: '/test ?',
      description: 'Lists the jobs that can be started on this pull request.',
      examples: ['/test ?'],
      who: 'Anyone on a trusted pull request; trusted users on any pull request.',
      featured: true,
    },
  ],
})
  .settings(triggersSection)
  .on(PULL_REQUEST_ACTIONS, (ctx) => handlePullRequest(ctx))
  .on('push', (ctx) => handlePush(ctx))
  .onComment((ctx) => handleComment(ctx))
  .commentsFilteredBy((comment, config) => commentIsForTrigger(comment, config.presubmits.get(`${comment.org}/${comment.repo}`) ?? []));

// ---------------------------------------------------------------------------------------------
// Shared I/O

/** What the trigger's steps work with: the context, of which only the delivery's ID is read from the event. */
type TriggerContext = PluginScope & { event: { id: string } };

function presubmitsOf(ctx: TriggerContext): readonly Presubmit[] {
  return ctx.config.presubmits.get(`${ctx.org}/${ctx.repo}`) ?? [];
}

function pullRequestFiles(pull: IssueHandle): ChangedFilesProvider {
  return changedFilesOnce(async () => (await pull.listPullRequestFiles()).map((file) => file.filename));
}

/**
 * Aborts jobs; one that finished (or vanished) meanwhile is left as it is. `superseded`: newer runs
 * replace them, and GitHub keeps showing those (PluginJobs.abort).
 */
async function abortJobs(ctx: TriggerContext, jobs: readonly StoredJob[], options: { superseded?: boolean } = {}): Promise<void> {
  const failures: unknown[] = [];
  for (const stored of jobs) {
    const name = stored.job.metadata.name ?? '';
    try {
      if (await ctx.jobs.abort(name, ABORTED_DESCRIPTION, options)) {
        ctx.log.info('aborted ProwJob', { prowJob: name, job: stored.job.spec.job });
      }
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `could not abort ${failures.length} ProwJob(s)`);
}

/** Prow's `abortAllJobs` for one pull request. */
async function abortPullRequestJobs(ctx: TriggerContext, number: number, keepHeadSha?: string): Promise<void> {
  const jobs = await ctx.jobs.ofPullRequest(`${ctx.org}/${ctx.repo}`, number, { type: 'presubmit' });
  await abortJobs(ctx, presubmitsToAbort(jobs, keepHeadSha));
}

/**
 * Prow's `runRequested`: a ProwJob per job, keyed by delivery and job so a redelivered webhook
 * finds the jobs it already made. Each new run replaces older unfinished runs of the same job on
 * the pull request, as Prow's plank does. A pull request GitHub knows cannot merge gets nothing.
 */
async function startPresubmits(
  ctx: TriggerContext,
  pr: TriggerPullRequest,
  jobs: readonly Presubmit[],
  labels: Record<string, string> = {},
): Promise<void> {
  if (pr.mergeable === false) {
    ctx.log.info('pull request has merge conflicts; starting no jobs', { pull: pr.number });
    return;
  }
  const refs = refsForPullRequest(pr, pr.base.sha);
  const failures: unknown[] = [];
  for (const job of jobs) {
    try {
      const prowJob = newPresubmitJob(job, refs, { now: ctx.now(), config: ctx.config, eventGuid: ctx.event.id, labels });
      const result = await ctx.jobs.create(prowJob, `${ctx.event.id}/${job.name}`);
      if (!result.created) continue;
      ctx.log.info('created ProwJob', { prowJob: result.job.job.metadata.name, job: job.name, pull: pr.number });
      const sameJob = await ctx.jobs.ofPullRequest(`${ctx.org}/${ctx.repo}`, pr.number, { job: job.name });
      await abortJobs(ctx, supersededRuns(sameJob, result.job), { superseded: true });
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `could not start ${failures.length} presubmit(s)`);
}

// ---------------------------------------------------------------------------------------------
// Pull requests

async function handlePullRequest(ctx: EventContext<PullRequestAction>): Promise<void> {
  const event = ctx.event.payload;
  const presubmits = presubmitsOf(ctx);
  // As Prow: a repository without presubmits is not the trigger's business (no welcome either).
  if (presubmits.length === 0) return;
  const pr = triggerPullRequestOf(event.pull_request);
  const pull = ctx.issue;
  const settings = triggerSettings(ctx.plugins, ctx.org, ctx.repo);
  const checks = membershipChecks(ctx.github);
  const label = 'label' in event ? event.label : undefined;
  const changes = event.action === 'edited' ? event.changes : undefined;
  const plan = pullRequestPlan({
    action: event.action,
    ...(label ? { label: label.name } : {}),
    baseChanged: Boolean(changes?.base?.ref?.from || changes?.base?.sha?.from),
    senderIsBot: await checks.isBot(loginOf(event.sender)),
  });
  switch (plan) {
    case 'run-or-welcome':
      return openedPullRequest(ctx, pull, pr, presubmits, settings, checks);
    case 'run-if-trusted':
      return runIfTrusted(ctx, pull, pr, presubmits, settings, checks);
    case 'abort-then-run-if-trusted': {
      const failures: unknown[] = [];
      await abortPullRequestJobs(ctx, pr.number, pr.head.sha).catch((error: unknown) => failures.push(error));
      await runIfTrusted(ctx, pull, pr, presubmits, settings, checks).catch((error: unknown) => failures.push(error));
      if (failures.length > 0) throw new AggregateError(failures, 'synchronize handling failed');
      return;
    }
    case 'run-if-untrusted': {
      const { trusted } = await trustedPullRequest(ctx, pull, checks, settings, pr.user.login);
      if (!trusted) {
        ctx.log.info('starting all jobs for an untrusted pull request with lgtm', { pull: pr.number });
        await runAllUnlessDraft(ctx, pull, pr, presubmits);
      }
      return;
    }
    case 'run':
      return runAllUnlessDraft(ctx, pull, pr, presubmits);
    case 'abort':
      return abortPullRequestJobs(ctx, pr.number);
    case 'nothing':
      return;
  }
}

async function openedPullRequest(
  ctx: TriggerContext,
  pull: IssueHandle,
  pr: TriggerPullRequest,
  presubmits: readonly Presubmit[],
  settings: Trigger,
  checks: MembershipChecks,
): Promise<void> {
  const author = await trustedUser(checks, settings, pr.user.login, ctx.org, ctx.repo);
  if (author.trusted) {
    if (pr.draft) {
      ctx.log.info('draft pull request from a trusted author: no jobs', { pull: pr.number });
      await pull.createComment(draftMessage());
      return;
    }
    return runAll(ctx, pull, pr, presubmits);
  }
  ctx.log.info('pull request from an untrusted author: asking for /ok-to-test', { pull: pr.number, author: pr.user.login, reason: author.reason });
  await welcome(ctx, pull, pr, settings);
}

/** Prow's `welcomeMsg`: needs-ok-to-test (unless something already added ok-to-test) and the welcome. */
async function welcome(ctx: TriggerContext, pull: IssueHandle, pr: TriggerPullRequest, settings: Trigger): Promise<void> {
  const failures: unknown[] = [];
  if (honorsOkToTest(settings)) {
    try {
      const labels = await pull.listIssueLabels();
      if (!labels.includes(OK_TO_TEST_LABEL)) await pull.addLabels([NEEDS_OK_TO_TEST_LABEL]);
    } catch (error) {
      failures.push(error);
    }
  }
  const frequentContributor = honorsOkToTest(settings) && (await mergedPullRequestsNudge(ctx, pr, settings));
  const host = hostOf(pr.html_url);
  const message = welcomeMessage({ author: pr.user.login, org: ctx.org, settings, frequentContributor, ...(host ? { host } : {}) });
  try {
    await pull.createComment(message);
  } catch (error) {
    failures.push(error);
  }
  if (failures.length > 0) throw new AggregateError(failures, `could not welcome ${pr.user.login}`);
}

/** Has the author had enough PRs merged in the org to be told firmly to join? A failed search says no. */
async function mergedPullRequestsNudge(
  ctx: TriggerContext,
  pr: TriggerPullRequest,
  settings: Trigger,
): Promise<boolean> {
  if (!mayNudgeToJoin(settings, pr.user.type === 'Bot')) return false;
  try {
    const merged = await ctx.github.countSearchResults(`type:pr is:merged org:${ctx.org} author:${pr.user.login}`);
    return isFrequentContributor(merged, settings);
  } catch (error) {
    ctx.log.debug('could not count merged pull requests for the welcome message', { error });
    return false;
  }
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** Prow's `TrustedPullRequest`: the author's trust, else the ok-to-test label (labels fetched only then). */
async function trustedPullRequest(
  ctx: TriggerContext,
  pull: IssueHandle,
  checks: MembershipChecks,
  settings: Trigger,
  author: string,
): Promise<{ trusted: boolean; labels?: string[] }> {
  const decision = await trustedUser(checks, settings, author, ctx.org, ctx.repo);
  if (decision.trusted) return { trusted: true };
  const labels = await pull.listIssueLabels();
  return { trusted: pullRequestTrusted(false, labels), labels };
}

/** Prow's `buildAllIfTrusted`: run everything, and retire needs-ok-to-test once trusted. */
async function runIfTrusted(
  ctx: TriggerContext,
  pull: IssueHandle,
  pr: TriggerPullRequest,
  presubmits: readonly Presubmit[],
  settings: Trigger,
  checks: MembershipChecks,
): Promise<void> {
  const { trusted, labels } = await trustedPullRequest(ctx, pull, checks, settings, pr.user.login);
  if (!trusted) return;
  if (labels?.includes(NEEDS_OK_TO_TEST_LABEL)) await pull.removeLabel(NEEDS_OK_TO_TEST_LABEL);
  await runAllUnlessDraft(ctx, pull, pr, presubmits);
}

async function runAllUnlessDraft(
  ctx: TriggerContext,
  pull: IssueHandle,
  pr: TriggerPullRequest,
  presubmits: readonly Presubmit[],
): Promise<void> {
  if (pr.draft) {
    ctx.log.info('draft pull request: no jobs', { pull: pr.number });
    return;
  }
  await runAll(ctx, pull, pr, presubmits);
}

/** Prow's `buildAll`: what `/test all` would run, by branch and changed files. */
async function runAll(
  ctx: TriggerContext,
  pull: IssueHandle,
  pr: TriggerPullRequest,
  presubmits: readonly Presubmit[],
): Promise<void> {
  const selected = await presubmitsForPullRequest(presubmits, pr.base.ref, pullRequestFiles(pull));
  ctx.log.info(`starting ${selected.length} presubmit(s)`, { pull: pr.number, jobs: selected.map((job) => job.name) });
  await startPresubmits(ctx, pr, selected);
}

// ---------------------------------------------------------------------------------------------
// Comments

/** A new comment on an open PR that names one of the trigger's commands: decided without GitHub. */
function commentIsForTrigger(comment: CommentEvent, presubmits: readonly Presubmit[]): boolean {
  if (comment.action !== 'created' || !comment.isPR || comment.issueState !== 'open') return false;
  return commentConcernsTrigger(dropCodeBlocks(comment.body), presubmits);
}

async function handleComment(ctx: CommentContext): Promise<void> {
  const comment = ctx.comment;
  const presubmits = presubmitsOf(ctx);
  // Decided from the text first: most comments are not for the trigger, and asking GitHub whether
  // the author is a bot costs a read.
  if (!commentIsForTrigger(comment, presubmits)) return;
  const text = dropCodeBlocks(comment.body);
  const checks = membershipChecks(ctx.github);
  if (await checks.isBot(comment.author)) return;

  const settings = triggerSettings(ctx.plugins, ctx.org, ctx.repo);
  const honorOkToTest = honorsOkToTest(settings);
  const commenter = await trustedUser(checks, settings, comment.author, ctx.org, ctx.repo);
  let labels: string[] | undefined;
  if (!commenter.trusted) {
    const pullRequest = await trustedPullRequest(ctx, ctx.issue, checks, settings, comment.issueAuthor);
    labels = pullRequest.labels;
    if (!pullRequest.trusted) {
      ctx.log.info('command from an untrusted user on an untrusted pull request', { author: comment.author, reason: commenter.reason });
      await ctx.issue.createComment(replyTo(comment, untrustedCommandReply(honorOkToTest)));
      return;
    }
  }
  labels ??= await ctx.issue.listIssueLabels();

  const labelPlan = planCommentLabels({ labels, text, honorOkToTest, commenterTrusted: commenter.trusted });
  if (labelPlan.add.length > 0) await ctx.issue.addLabels(labelPlan.add);
  for (const label of labelPlan.remove) await ctx.issue.removeLabel(label);
  if (labelPlan.reply) await ctx.issue.createComment(replyTo(comment, labelPlan.reply));
  if (labelPlan.stop) return;

  const pr = await ctx.issue.getPullRequest();
  const changedFiles = pullRequestFiles(ctx.issue);
  const selected = await presubmitsForComment(presubmits, {
    body: text,
    baseRef: pr.base.ref,
    changedFiles,
    contexts: () => failedContexts(ctx, pr.head.sha),
    honorOkToTest,
  });
  const help = helpNeeded(text, selected.length);
  if (help.needed) {
    const available = await availablePresubmits(presubmits, pr.base.ref, changedFiles);
    const message = helpMessage(ctx.org, ctx.repo, pr.base.ref, help.note, available);
    await ctx.issue.createComment(replyTo(comment, message));
    return;
  }
  if (makesHelpStale(text)) await pruneHelpComments(ctx, ctx.issue);
  ctx.log.info(`starting ${selected.length} presubmit(s) on request`, { pull: pr.number, jobs: selected.map((job) => job.name) });
  await startPresubmits(ctx, pr, selected, isRetest(text) ? { [PROW_LABELS.retest]: 'true' } : {});
}

/** For `/retest`: the head commit's contexts, and those that failed or errored. */
async function failedContexts(ctx: TriggerContext, headSha: string): Promise<ContextState> {
  const combined = await ctx.repository.getCombinedStatus(headSha);
  const failed = new Set<string>();
  const all = new Set<string>();
  for (const status of combined.statuses) {
    all.add(status.context);
    if (status.state === 'failure' || status.state === 'error') failed.add(status.context);
  }
  return { failed, all };
}

/** Once someone runs a test, the job lists we posted earlier only clutter the conversation. */
async function pruneHelpComments(ctx: TriggerContext, pull: IssueHandle): Promise<void> {
  try {
    await deleteBotComments(ctx.github, pull, isHelpComment);
  } catch (error) {
    // Tidying up must not stop the tests the comment asked for.
    ctx.log.warn('could not delete earlier /test help replies', { error });
  }
}

// ---------------------------------------------------------------------------------------------
// Pushes

async function handlePush(ctx: EventContext<'push'>): Promise<void> {
  const push = ctx.event.payload;
  if (isDeletion(push)) return;
  const postsubmits = ctx.config.postsubmits.get(`${ctx.org}/${ctx.repo}`) ?? [];
  if (postsubmits.length === 0) return;
  const ref = pushedRef(push.ref);
  const selected = await postsubmitsForPush(postsubmits, ref, fixedChangedFiles(pushChangedFiles(push.commits ?? [])));
  const refs: Refs = {
    org: loginOf(push.repository.owner),
    repo: push.repository.name,
    ...(push.repository.html_url ? { repo_link: push.repository.html_url } : {}),
    base_ref: ref,
    base_sha: push.after,
    ...(push.compare ? { base_link: push.compare } : {}),
  };
  ctx.log.info(`starting ${selected.length} postsubmit(s)`, { ref, sha: push.after, jobs: selected.map((job) => job.name) });
  for (const job of selected) {
    const prowJob = newPostsubmitJob(job, refs, { now: ctx.now(), config: ctx.config, eventGuid: ctx.event.id });
    const result = await ctx.jobs.create(prowJob, `${ctx.event.id}/${job.name}`);
    if (result.created) ctx.log.info('created ProwJob', { prowJob: result.job.job.metadata.name, job: job.name });
  }
}
