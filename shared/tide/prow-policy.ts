import {
  baseShaFromDescription,
  contextCheckerFor,
  isPassingContexts,
  isSkipRetest,
  TIDE_CONTEXT,
  unsuccessfulContexts,
  type ContextChecker,
} from './contexts';
import type {
  JobVerdict,
  PoolAction,
  PoolPull,
  PoolRun,
  PoolState,
  PullPoolState,
  PullVerdict,
  RequiredJob,
  RunPull,
  TideStatusState,
} from './model';
import type { PoolPolicy } from './policy';
import { pickHighestPriority, precedenceReason, pullOrder } from './priority';
import { betterState, isFailedRun, runsAtBase, shortSha, simpleState, type SimpleState } from './runs';
import { blockedByIssues, IN_MERGE_POOL, jobsNotSucceeded, notMergeable, retesting } from './status-text';

/**
 * Prow's merge pool (kubernetes-sigs/prow pkg/tide/tide.go), as a pure decision over one pool:
 * `filterSubpool` keeps the PRs that may merge, `accumulate` and `accumulateBatch` read their
 * results at the pool's current base and heads, and `takeAction` picks Prow's one action per sync:
 * merge a passing batch; else merge the best PR passing serially unless a batch is pending; else
 * start a batch if none is pending (reusing an existing one, retrying only its failed jobs); else
 * retest the best missing PR serially if nothing is pending or passing; else wait. Each PR's
 * verdict says which of those steps held it back, in full sentences; its summary is what Prow's
 * status controller (pkg/tide/status.go) would say in the `tide` commit status.
 */

/** A PR that `filterPR` keeps: in the pool. */
interface PoolMember {
  /** The PR's number and labels, at hand for the pool's order. */
  number: number;
  labels: string[];
  pull: PoolPull;
  jobs: RequiredJob[];
  checker: ContextChecker;
  /** Prow's `accumulate` bucket (a failed required job makes a PR missing: it is retested). */
  bucket: 'success' | 'pending' | 'missing';
  jobVerdicts: JobVerdict[];
  /** Prow's `missingTests`: required jobs with no run, or only failed ones, at this base and head. */
  retestJobs: RequiredJob[];
}

/** A PR that `filterPR` drops, and why. */
interface FilteredPull {
  pull: PoolPull;
  state: Extract<PullPoolState, 'excluded' | 'failure'>;
  reasons: string[];
  /** Why GitHub (or the merge method) refuses it: Prow's status says this before anything else. */
  refusal?: string;
  /** The contexts that keep it out, for "Jobs ... have not succeeded." */
  unsuccessful: string[];
  jobVerdicts: JobVerdict[];
}

/** Batch runs at this base that tested one exact set of pool PRs (Prow's `accumulateBatch` state). */
interface BatchRecord {
  members: PoolMember[];
  state: SimpleState;
  /** Required contexts of the batch that failed, or that no run of this batch covers. */
  failed: string[];
  missing: string[];
  pending: string[];
  createdAt: number;
}

/** What `takeAction` decided, with what the verdicts need to explain it. */
type Plan =
  | { kind: 'empty' }
  | { kind: 'blocked' }
  | { kind: 'merge-batch'; batch: BatchRecord }
  | { kind: 'merge'; member: PoolMember }
  | { kind: 'trigger-batch'; batch: BatchPick }
  | { kind: 'trigger'; member: PoolMember; jobs: string[] }
  | { kind: 'wait' };

interface BatchPick {
  members: PoolMember[];
  /** Job names to create; a batch already tried lists only the jobs it has not passed or is not running. */
  jobs: string[];
  /** An existing batch at this base picked again (Prow's `prioritize_existing_batches`, on by default). */
  reused: boolean;
}

/** What `pickBatch` saw, so the verdicts can say why a PR is or is not in the batch. */
interface BatchCandidates {
  limit: number;
  eligible: Set<number>;
  pick?: BatchPick;
}

interface Sync {
  state: PoolState;
  atBase: PoolRun[];
  members: PoolMember[];
  successBatch?: BatchRecord;
  pendingBatch?: BatchRecord;
  failedBatches: BatchRecord[];
}

export const prowPolicy: PoolPolicy = (state) => {
  const atBase = runsAtBase(state);
  const presubmitsAtBase = atBase.filter((run) => run.type === 'presubmit');
  const members: PoolMember[] = [];
  const filtered: FilteredPull[] = [];
  for (const pull of state.pulls) {
    const jobs = state.requiredJobs[pull.number] ?? [];
    const checker = contextCheckerFor(state.contextPolicy, jobs);
    const accumulated = accumulatePull(pull, jobs, presubmitsAtBase, state.baseSha);
    const dropped = filterPull(pull, jobs, checker, state.key.branch);
    if (dropped) filtered.push({ ...dropped, jobVerdicts: accumulated.jobVerdicts });
    else members.push({ number: pull.number, labels: pull.labels, pull, jobs, checker, ...accumulated });
  }
  const batches = accumulateBatches(atBase, members, state.requiredJobs);
  const sync: Sync = {
    state,
    atBase,
    members,
    successBatch: batches.find((batch) => batch.state === 'success'),
    pendingBatch: batches.find((batch) => batch.state === 'pending'),
    failedBatches: batches.filter((batch) => batch.state === 'failure'),
  };
  const { action, plan, candidates } = takeAction(sync);
  return { actions: [action], verdicts: verdicts(sync, filtered, action, plan, candidates) };
};

// --- filterSubpool / filterPR -------------------------------------------------------------------

/**
 * Prow's `filterPR`: GitHub's refusals first (`isAllowedToMerge`: a merge conflict, a merge method
 * the repository does not allow), then the head's contexts: any that failed, any required one
 * missing, any pending that is not one of the PR's required Prow jobs (Tide could not tell when it
 * passes). Pending required jobs keep the PR in: Tide itself may be retesting them.
 */
function filterPull(pull: PoolPull, jobs: readonly RequiredJob[], checker: ContextChecker, branch: string): Omit<FilteredPull, 'jobVerdicts'> | undefined {
  const reasons: string[] = [];
  let refusal: string | undefined;
  const refuse = (summary: string, reason: string): void => {
    refusal ??= summary;
    reasons.push(reason);
  };
  if (pull.mergeable === 'conflicting') refuse('PR has a merge conflict.', `GitHub reports a merge conflict with ${branch}: the PR must be rebased.`);
  if (pull.mergeMethodProblem) refuse(sentence(pull.mergeMethodProblem), `Tide cannot merge it as configured: ${sentence(pull.mergeMethodProblem)}`);
  if (pull.draft) refuse('PR is a draft.', 'It is a draft, and GitHub does not merge drafts.');
  if (pull.mergeBlockedByGitHub) {
    refuse(
      'GitHub blocks merging it (branch protection or rulesets).',
      'GitHub blocks merging it: branch protection, required reviews or rulesets ask for something Tide does not check.',
    );
  }

  const jobContexts = new Set(jobs.map((job) => job.context));
  const head = shortSha(pull.headSha);
  const unsuccessful = unsuccessfulContexts(pull.contexts, checker);
  let failing = false;
  let keepsOut = false;
  for (const { context, state } of unsuccessful) {
    if (state === 'failure' || state === 'error') {
      failing = true;
      keepsOut = true;
      reasons.push(`Context ${context} is ${state === 'error' ? 'in error' : 'failing'} on head ${head}${describedAs(pull, context)}.`);
    } else if (state === 'missing') {
      keepsOut = true;
      reasons.push(`Required context ${context} has not been reported on head ${head}.`);
    } else if (!jobContexts.has(context)) {
      keepsOut = true;
      reasons.push(`Context ${context} is pending on head ${head} and is not one of its Prow jobs, so Tide cannot retest it or wait for it: it must pass first.`);
    }
  }
  if (refusal === undefined && !keepsOut) return undefined;
  return {
    pull,
    state: refusal === undefined && failing ? 'failure' : 'excluded',
    reasons,
    refusal,
    unsuccessful: unsuccessful.map((context) => context.context),
  };
}

function describedAs(pull: PoolPull, context: string): string {
  const description = pull.contexts.find((c) => c.context === context)?.description?.trim();
  return description ? ` ("${description}")` : '';
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

// --- accumulate -------------------------------------------------------------------------------

/**
 * Prow's `accumulate` for one PR: for each required job (by context) the best state of its
 * presubmit runs at this base and this head (success beats pending beats failure), counting a
 * successful head context that names this base in its description, or says `[prow:skip-retest]`,
 * as a success (Prow's `prowJobsFromContexts`: results outlive their ProwJobs). A job without a
 * run, or whose runs all failed, makes the PR missing; else one pending makes it pending.
 */
function accumulatePull(
  pull: PoolPull,
  jobs: readonly RequiredJob[],
  presubmitsAtBase: readonly PoolRun[],
  baseSha: string,
): Pick<PoolMember, 'bucket' | 'jobVerdicts' | 'retestJobs'> {
  const mine = presubmitsAtBase.filter((run) => run.pulls[0]?.number === pull.number && run.pulls[0]?.sha === pull.headSha);
  const retestJobs: RequiredJob[] = [];
  let anyPending = false;
  const jobVerdicts = jobs.map((job): JobVerdict => {
    const verdict = bestResult(job, mine.filter((run) => run.context === job.context));
    const fromContext = pull.contexts.find(
      (c) => c.context === job.context && c.state === 'success' && (isSkipRetest(c.description) || baseShaFromDescription(c.description) === baseSha),
    );
    if (fromContext && verdict.state !== 'success') {
      return { job: job.job, context: job.context, state: 'success', ...(fromContext.targetUrl ? { url: fromContext.targetUrl } : {}) };
    }
    if (verdict.state === 'missing' || simpleState(verdict.state) === 'failure') retestJobs.push(job);
    else if (simpleState(verdict.state) === 'pending') anyPending = true;
    return verdict;
  });
  const bucket = retestJobs.length > 0 ? 'missing' : anyPending ? 'pending' : 'success';
  return { bucket, jobVerdicts, retestJobs };
}

/** The job's best state among its runs, shown by the newest run in that state. */
function bestResult(job: RequiredJob, runs: readonly PoolRun[]): JobVerdict {
  let best: SimpleState | undefined;
  for (const run of runs) best = betterState(best, simpleState(run.state));
  const shown = [...runs].reverse().find((run) => simpleState(run.state) === best);
  if (!shown) return { job: job.job, context: job.context, state: 'missing' };
  return { job: job.job, context: job.context, state: shown.state, runId: shown.id, ...(shown.url ? { url: shown.url } : {}) };
}

// --- accumulateBatch ----------------------------------------------------------------------------

/**
 * Prow's `accumulateBatch`: batch runs at this base grouped by their exact pulls (numbers and
 * heads, in order), each group valid only while every pull is in the pool at that head. A group
 * passes when every required job of its PRs together (Prow's `presubmitsForBatch`: the union of
 * their jobs) has a successful run; a job failed or never run in the group fails it; else a
 * pending one makes it pending. Prow keeps one passing and one pending batch, whichever its map
 * yields; here the one with most PRs, then the oldest, so the same state decides the same way.
 */
function accumulateBatches(atBase: readonly PoolRun[], members: readonly PoolMember[], requiredJobs: PoolState['requiredJobs']): BatchRecord[] {
  const byNumber = new Map(members.map((member) => [member.pull.number, member]));
  const groups = new Map<string, { members: PoolMember[]; states: Map<string, SimpleState>; createdAt: number }>();
  for (const run of atBase) {
    if (run.type !== 'batch' || run.pulls.length === 0) continue;
    const key = pullsKey(run.pulls);
    let group = groups.get(key);
    if (!group) {
      const batchMembers = run.pulls.map((pull) => byNumber.get(pull.number));
      const valid = batchMembers.every((member, index) => member !== undefined && member.pull.headSha === run.pulls[index]?.sha);
      if (!valid) continue;
      group = { members: batchMembers.filter((member): member is PoolMember => member !== undefined), states: new Map(), createdAt: run.createdAt };
      groups.set(key, group);
    }
    group.states.set(run.context, betterState(group.states.get(run.context), simpleState(run.state)));
  }
  const records = [...groups.values()].map(({ members: batchMembers, states, createdAt }): BatchRecord => {
    const contexts = unionJobs(batchMembers.map((member) => requiredJobs[member.pull.number] ?? [])).map((job) => job.context);
    const failed = contexts.filter((context) => states.get(context) === 'failure');
    const missing = contexts.filter((context) => !states.has(context));
    const pending = contexts.filter((context) => states.get(context) === 'pending');
    const state: SimpleState = failed.length + missing.length > 0 ? 'failure' : pending.length > 0 ? 'pending' : 'success';
    return { members: batchMembers, state, failed: unique(failed), missing: unique(missing), pending: unique(pending), createdAt };
  });
  return records.sort((a, b) => b.members.length - a.members.length || a.createdAt - b.createdAt);
}

function pullsKey(pulls: readonly RunPull[]): string {
  return pulls.map((pull) => `${pull.number}@${pull.sha}`).join(',');
}

/** The jobs of several PRs, each job once, in the order first met. */
function unionJobs(jobLists: readonly (readonly RequiredJob[])[]): RequiredJob[] {
  const seen = new Map<string, RequiredJob>();
  for (const jobs of jobLists) for (const job of jobs) if (!seen.has(job.job)) seen.set(job.job, job);
  return [...seen.values()];
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

// --- takeAction -------------------------------------------------------------------------------

function takeAction(sync: Sync): { action: PoolAction; plan: Plan; candidates?: BatchCandidates } {
  const { state, members, successBatch, pendingBatch } = sync;
  const base = shortSha(state.baseSha);
  if (members.length === 0) {
    // Prow drops a subpool that filtering empties (`filterSubpool`): there is nothing to act on.
    return { action: { kind: 'wait', reason: 'No PR is in the merge pool: every PR in scope is held back by a conflict, its contexts or GitHub.' }, plan: { kind: 'empty' } };
  }
  if (state.blockers.length > 0) {
    const list = state.blockers.map((issue) => `#${issue.number} (${issue.title})`).join(', ');
    return {
      action: { kind: 'blocked', reason: `Merging is blocked by issue${state.blockers.length > 1 ? 's' : ''} ${list}.`, blockers: state.blockers.map((issue) => issue.number) },
      plan: { kind: 'blocked' },
    };
  }
  if (successBatch) {
    return {
      action: {
        kind: 'merge',
        batch: true,
        pulls: successBatch.members.map(runPull),
        reason: `Merging batch ${numbers(successBatch.members)}: every required job passed on them together at base ${base}.`,
      },
      plan: { kind: 'merge-batch', batch: successBatch },
    };
  }
  const successes = members.filter((member) => member.bucket === 'success');
  const pendings = members.filter((member) => member.bucket === 'pending');
  const missings = members.filter((member) => member.bucket === 'missing');
  // Merging while a batch runs would move the base under it and waste its result.
  if (successes.length > 0 && !pendingBatch) {
    const chosen = pickHighestPriority(successes, state.settings.priority, (member) => isPassingContexts(member.pull.contexts, member.checker));
    if (chosen) {
      const others = successes.length - 1;
      return {
        action: {
          kind: 'merge',
          batch: false,
          pulls: [runPull(chosen)],
          reason: `Merging ${number(chosen)}: every required job passed at base ${base}${others > 0 ? `; first of ${successes.length} passing PRs by priority, then number` : ''}.`,
        },
        plan: { kind: 'merge', member: chosen },
      };
    }
  }
  // Prow waits when no PR of the pool (filtered or not) has a required job: there is nothing to run.
  if (!state.pulls.some((pull) => (state.requiredJobs[pull.number] ?? []).length > 0)) {
    return { action: { kind: 'wait', reason: waitReason(sync) }, plan: { kind: 'wait' } };
  }
  let candidates: BatchCandidates | undefined;
  if (members.length > 1 && !pendingBatch) {
    candidates = pickBatch(sync);
    const pick = candidates.pick;
    if (pick && pick.members.length > 1) {
      if (pick.jobs.length === 0) {
        // Prow would trigger nothing here (every job already has a run that did not fail).
        return { action: { kind: 'wait', reason: `Batch ${numbers(pick.members)} already has every required job running or passed at base ${base}.` }, plan: { kind: 'wait' }, candidates };
      }
      const verb = pick.reused ? `Retrying batch ${numbers(pick.members)}` : `Starting a batch of ${numbers(pick.members)}`;
      return {
        action: {
          kind: 'trigger',
          runs: [{ type: 'batch', baseSha: state.baseSha, pulls: pick.members.map(runPull), jobs: pick.jobs }],
          reason: `${verb} at base ${base} (${pick.jobs.length === 1 ? 'job' : 'jobs'} ${pick.jobs.join(', ')}).`,
        },
        plan: { kind: 'trigger-batch', batch: pick },
        candidates,
      };
    }
  }
  if (missings.length > 0 && pendings.length === 0 && successes.length === 0) {
    const chosen = pickHighestPriority(missings, state.settings.priority, (member) => isRetestEligible(member, state.runs));
    if (chosen) {
      const jobs = uniqueByContext(chosen.retestJobs).map((job) => job.job);
      return {
        action: {
          kind: 'trigger',
          runs: [{ type: 'presubmit', baseSha: state.baseSha, pulls: [runPull(chosen)], jobs }],
          reason: `Retesting ${number(chosen)} at base ${base}: ${jobs.length === 1 ? 'job' : 'jobs'} ${jobs.join(', ')} ${jobs.length === 1 ? 'has' : 'have'} not passed there.`,
        },
        plan: { kind: 'trigger', member: chosen, jobs },
        candidates,
      };
    }
  }
  return { action: { kind: 'wait', reason: waitReason(sync) }, plan: { kind: 'wait' }, candidates };
}

/** Prow's `trigger` creates one job per context: several jobs reporting one context are shards of one. */
function uniqueByContext(jobs: readonly RequiredJob[]): RequiredJob[] {
  const seen = new Set<string>();
  return jobs.filter((job) => !seen.has(job.context) && seen.add(job.context));
}

/**
 * Prow's `isRetestEligible`: every required context is present, and every context that matters
 * passed, except a pending one the pool's own run at this head explains (that PR was a good
 * candidate when Tide started it). `runs` are all the pool's runs, at any base.
 */
function isRetestEligible(member: PoolMember, runs: readonly PoolRun[]): boolean {
  const { pull, checker } = member;
  if (checker.missingRequired(pull.contexts.map((c) => c.context)).length > 0) return false;
  return pull.contexts.every(({ context, state }) => {
    if (context === TIDE_CONTEXT || checker.isOptional(context) || state === 'success') return true;
    if (state !== 'pending') return false;
    return runs.some((run) => run.createdByTide === true && run.type === 'presubmit' && run.context === context && run.pulls.length === 1 && run.pulls[0]?.number === pull.number && run.pulls[0]?.sha === pull.headSha);
  });
}

/**
 * Prow's `pickBatch`. Candidates are the pool's PRs whose head contexts passed (at whatever base
 * they ran: `isRetestEligible`), oldest PR first (Prow sorts by number here, not by priority). An
 * existing batch at this base whose PRs are all candidates at the same heads is picked again
 * (`pickBatchWithPreexistingTests`: most successful jobs, else most pending jobs); else a new one
 * takes the candidates in order up to `batch_size_limit` (0: no limit). Prow trial-merges each
 * candidate onto the base and leaves out those that do not apply; that is I/O, so here every
 * candidate is assumed to apply (conflicting PRs are already out of the pool) and the sync's own
 * trial merge may still drop some before it creates the jobs.
 */
function pickBatch(sync: Sync): BatchCandidates {
  const { state, members, atBase } = sync;
  const limit = state.settings.batchSizeLimit;
  const eligible = new Set<number>();
  if (limit < 0) return { limit, eligible };
  const ordered = [...members].sort((a, b) => a.pull.number - b.pull.number);
  const candidates = ordered.filter((member) => isRetestEligible(member, state.runs));
  for (const member of candidates) eligible.add(member.pull.number);
  if (candidates.length === 0) return { limit, eligible };

  let chosen = preexistingBatch(atBase, candidates, limit);
  const reused = chosen !== undefined;
  chosen ??= limit > 0 ? candidates.slice(0, limit) : candidates;

  const jobs = uniqueByContext(unionJobs(chosen.map((member) => state.requiredJobs[member.pull.number] ?? [])));
  const sameSet = setKey(chosen.map(runPull));
  // Prow's `nonFailedBatchForJobAndRefsExists`: a job this exact batch already passed or is running is not started again.
  const covered = new Set(atBase.filter((run) => run.type === 'batch' && !isFailedRun(run) && setKey(run.pulls) === sameSet).map((run) => run.job));
  return { limit, eligible, pick: { members: chosen, jobs: jobs.filter((job) => !covered.has(job.job)).map((job) => job.job), reused } };
}

/** Prow's `pickBatchWithPreexistingTests`; ties (which Prow leaves to map order) go to the batch seen first. */
function preexistingBatch(atBase: readonly PoolRun[], candidates: readonly PoolMember[], limit: number): PoolMember[] | undefined {
  const byNumber = new Map(candidates.map((member) => [member.pull.number, member]));
  const successes = new Map<string, number>();
  const pendings = new Map<string, number>();
  const order = new Map<string, PoolMember[]>();
  for (const run of atBase) {
    if (run.type !== 'batch' || run.pulls.length === 0 || (limit !== 0 && run.pulls.length > limit)) continue;
    if (run.state !== 'success' && run.state !== 'pending') continue;
    const batchMembers = run.pulls.map((pull) => byNumber.get(pull.number));
    if (!batchMembers.every((member, index) => member !== undefined && member.pull.headSha === run.pulls[index]?.sha)) continue;
    const key = run.pulls.map((pull) => pull.number).join('|');
    if (!order.has(key)) order.set(key, batchMembers.filter((member): member is PoolMember => member !== undefined));
    const counts = run.state === 'success' ? successes : pendings;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const best = mostCounted(successes) ?? mostCounted(pendings);
  return best === undefined ? undefined : order.get(best);
}

function mostCounted(counts: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const [key, count] of counts) {
    if (count > bestCount) {
      best = key;
      bestCount = count;
    }
  }
  return best;
}

/** A batch's identity for Prow's non-failed-batch index: its pulls by number, with their heads. */
function setKey(pulls: readonly RunPull[]): string {
  return pullsKey([...pulls].sort((a, b) => a.number - b.number));
}

function waitReason(sync: Sync): string {
  const { state, members, pendingBatch } = sync;
  const base = shortSha(state.baseSha);
  const successes = members.filter((member) => member.bucket === 'success');
  const pendings = members.filter((member) => member.bucket === 'pending');
  const missings = members.filter((member) => member.bucket === 'missing');
  if (pendingBatch) {
    const held = successes.length > 0 ? `; ${numbers(successes)} passed but merging now would waste the batch's result` : '';
    return `Waiting for batch ${numbers(pendingBatch.members)} to finish at base ${base}${held}.`;
  }
  if (pendings.length > 0) return `Waiting for the tests of ${numbers(pendings)} to finish at base ${base}.`;
  if (successes.length > 0) {
    return `${numbers(successes)} passed at base ${base}, but ${successes.length === 1 ? 'its head shows' : 'their heads show'} contexts that have not passed yet; Tide merges only a PR whose head contexts all passed.`;
  }
  if (!state.pulls.some((pull) => (state.requiredJobs[pull.number] ?? []).length > 0)) {
    return 'No PR in the pool has a required job, and none can merge now.';
  }
  if (missings.length > 0) return `No PR can be retested now: ${numbers(missings)} ${missings.length === 1 ? 'shows a context' : 'show contexts'} still pending from runs Tide did not start.`;
  return 'Nothing to do.';
}

// --- verdicts ---------------------------------------------------------------------------------

function verdicts(sync: Sync, filtered: readonly FilteredPull[], action: PoolAction, plan: Plan, candidates: BatchCandidates | undefined): PullVerdict[] {
  const { state, members } = sync;
  const ordered = pullOrder(members, state.settings.priority);
  const blockedSummary: StatusLine | undefined =
    state.blockers.length > 0 ? { text: notMergeable(blockedByIssues(state.blockers.map((issue) => issue.number))), state: 'error' } : undefined;
  const merging = new Set(action.kind === 'merge' ? action.pulls.map((pull) => pull.number) : []);

  const inPool = ordered.map((member, index): PullVerdict => {
    const isMerging = merging.has(member.pull.number);
    const summary = blockedSummary ?? memberSummary(sync, member);
    return {
      number: member.pull.number,
      state: isMerging ? 'merging' : member.bucket,
      summary: summary.text,
      statusState: summary.state,
      reasons: isMerging ? [] : memberReasons(sync, member, plan, candidates),
      jobs: member.jobVerdicts,
      rank: index + 1,
    };
  });
  const out = [...filtered]
    .sort((a, b) => a.pull.number - b.pull.number)
    .map((pull): PullVerdict => {
      const summary = filteredSummary(pull, state);
      return { number: pull.pull.number, state: pull.state, summary: summary.text, statusState: summary.state, reasons: pull.reasons, jobs: pull.jobVerdicts };
    });
  return [...inPool, ...out];
}

interface StatusLine {
  text: string;
  state: TideStatusState;
}

/**
 * Prow's `expectedStatus` for a PR in the pool: "In merge pool." once every required job passed at
 * this base and head (alone or in a batch), else "Not mergeable. Retesting: ..." while Tide tests
 * it again. Prow checks the contexts of its context policy here, which for a required context no
 * Prow job reports would say "Retesting" forever; the PR's required jobs are what Tide retests.
 */
function memberSummary(sync: Sync, member: PoolMember): StatusLine {
  const { pull } = member;
  const passed = new Set(
    sync.atBase
      .filter((run) => run.state === 'success' && run.pulls.some((p) => p.number === pull.number && p.sha === pull.headSha))
      .map((run) => run.context),
  );
  for (const verdict of member.jobVerdicts) if (verdict.state === 'success') passed.add(verdict.context);
  const notPassed = unique(member.jobs.map((job) => job.context).filter((context) => !passed.has(context)));
  return notPassed.length > 0 ? { text: retesting(notPassed), state: 'pending' } : { text: IN_MERGE_POOL, state: 'success' };
}

/** Prow's status for a PR out of the pool: GitHub's refusal, else the blocker issues, else the contexts. */
function filteredSummary(pull: FilteredPull, state: PoolState): StatusLine {
  if (pull.refusal) return { text: notMergeable(pull.refusal), state: 'error' };
  if (state.blockers.length > 0) return { text: notMergeable(blockedByIssues(state.blockers.map((issue) => issue.number))), state: 'error' };
  return { text: notMergeable(pull.unsuccessful.length > 0 ? jobsNotSucceeded(pull.unsuccessful) : undefined), state: 'pending' };
}

function memberReasons(sync: Sync, member: PoolMember, plan: Plan, candidates: BatchCandidates | undefined): string[] {
  const { state, pendingBatch } = sync;
  const base = shortSha(state.baseSha);
  const head = shortSha(member.pull.headSha);
  const reasons: string[] = [];
  if (state.blockers.length > 0) {
    reasons.push(`Merging is blocked by ${state.blockers.map((issue) => `issue #${issue.number} (${issue.title})`).join(', ')}; Tide merges nothing in ${state.key.branch} until ${state.blockers.length > 1 ? 'they are' : 'it is'} closed.`);
  }

  // Where its own results stand at this base.
  for (const job of member.jobVerdicts) {
    if (job.state === 'missing') reasons.push(`Job ${job.job} has not run at base ${base} with head ${head}.`);
    else if (simpleState(job.state) === 'failure') reasons.push(`Job ${job.job} ${job.state === 'failure' ? 'failed' : `ended ${job.state}`} at base ${base} with head ${head}; Tide retests it.`);
    else if (simpleState(job.state) === 'pending') reasons.push(`Job ${job.job} is still running at base ${base} with head ${head}.`);
  }
  const inBatch = (batch: { members: readonly PoolMember[] } | undefined): boolean => batch?.members.some((m) => m.pull.number === member.pull.number) ?? false;
  for (const failed of sync.failedBatches) {
    if (!inBatch(failed) || failed.failed.length === 0) continue;
    reasons.push(`Batch ${numbers(failed.members)} failed ${failed.failed.length === 1 ? 'job' : 'jobs'} ${failed.failed.join(', ')} at base ${base}.`);
  }
  if (inBatch(pendingBatch)) reasons.push(`It is in batch ${numbers(pendingBatch?.members ?? [])}, still running at base ${base}.`);
  if (member.bucket === 'success' && !isPassingContexts(member.pull.contexts, member.checker)) {
    const open = unsuccessfulContexts(member.pull.contexts, member.checker).map((c) => c.context);
    reasons.push(`Its head shows ${open.join(', ')} not passed yet; Tide merges only a PR whose head contexts all passed.`);
  }

  // What the pool did this sync, and why not with this PR.
  switch (plan.kind) {
    case 'merge-batch':
      reasons.push(`Batch ${numbers(plan.batch.members)} is merging first: it passed every required job together at base ${base}.`);
      break;
    case 'merge':
      if (member.bucket !== 'success') reasons.push(`PR #${plan.member.number} merges first: it passed every required job at base ${base}.`);
      // A passing PR ahead of the chosen one is explained by its head's contexts, above.
      else if (precedes(plan.member, member, state)) {
        reasons.push(`PR #${plan.member.number} was chosen first (${precedenceReason(plan.member, member, state.settings.priority)}); once it merges, the base moves and this PR needs its jobs again there.`);
      }
      break;
    case 'trigger-batch':
      if (inBatch(plan.batch)) reasons.push(`Tide is ${plan.batch.reused ? 'retrying' : 'starting'} batch ${numbers(plan.batch.members)} with it at base ${base} (${plan.batch.jobs.join(', ')}).`);
      else reasons.push(notInBatch(member, plan.batch, candidates));
      break;
    case 'trigger':
      if (plan.member === member) reasons.push(`Tide is retesting it now at base ${base} (${plan.jobs.join(', ')}).`);
      else if (!isRetestEligible(member, state.runs)) reasons.push(notBatchCandidate(member));
      else reasons.push(`PR #${plan.member.number} was chosen for the serial retest first (${precedenceReason(plan.member, member, state.settings.priority)}).`);
      break;
    case 'wait':
      if (inBatch(pendingBatch)) break;
      if (pendingBatch && member.bucket === 'success') reasons.push(`Waiting for batch ${numbers(pendingBatch.members)} to finish: merging now would move the base under it and waste its result.`);
      else reasons.push(sentence(waitReason(sync)));
      break;
    case 'blocked':
    case 'empty':
      break;
  }
  return reasons;
}

/** Whether `a` comes before `b` in the pool's order (priority, then number). */
function precedes(a: PoolMember, b: PoolMember, state: PoolState): boolean {
  return pullOrder([a, b], state.settings.priority)[0] === a;
}

function notInBatch(member: PoolMember, batch: BatchPick, candidates: BatchCandidates | undefined): string {
  if (candidates && !candidates.eligible.has(member.pull.number)) return notBatchCandidate(member);
  if (batch.reused) return `Not in batch ${numbers(batch.members)}: Tide finishes a batch it already tested before it starts another.`;
  return `Not in batch ${numbers(batch.members)}: a batch holds at most ${candidates?.limit ?? batch.members.length} PRs, taken in PR-number order.`;
}

function notBatchCandidate(member: PoolMember): string {
  const open = unsuccessfulContexts(member.pull.contexts, member.checker).map((c) => c.context);
  return `It cannot join a batch or be retested while ${open.length > 0 ? open.join(', ') : 'a context'} on its head ${open.length > 1 ? 'are' : 'is'} pending from a run Tide did not start.`;
}

function runPull(member: PoolMember): RunPull {
  return { number: member.pull.number, sha: member.pull.headSha };
}

function number(member: PoolMember): string {
  return `#${member.pull.number}`;
}

function numbers(members: readonly PoolMember[]): string {
  return members.map(number).join(', ');
}

