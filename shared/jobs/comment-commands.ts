import { compileGoRegexp } from '../go/regexp';
import type { Presubmit } from '../config/model';
import type { ChangedFilesProvider } from './changes';
import { needsExplicitTrigger, presubmitShouldRun, triggerMatches } from './should-run';

/**
 * Prow's presubmit commands (pkg/pjutil/filter.go). Each is anchored to the start of a line and
 * case-sensitive, so quoting a command in prose ("please /retest") does nothing, while a
 * command on its own line anywhere in a longer comment counts.
 */
export const TEST_ALL = compileGoRegexp('(?m)^/test all,?($|\\s.*)');
export const RETEST = compileGoRegexp('(?m)^/retest\\s*$');
export const RETEST_REQUIRED = compileGoRegexp('(?m)^/retest-required\\s*$');
export const TEST_MANUAL_REQUIRED = compileGoRegexp('(?m)^/test-manual-required\\s*$');
export const OK_TO_TEST = compileGoRegexp('(?m)^/ok-to-test\\s*$');
export const OK_TO_TEST_CANCEL = compileGoRegexp('(?m)^/ok-to-test\\s+cancel\\s*$');
/** `/test` followed by nothing, `?`, or names none of which match a job: answered with the job list. */
const TEST_WITH_ANY_TARGET = /^\/test(?:[ \t]*\?|[ \t]+(\S.*))?[ \t]*$/gm;

/** The state of the pull request's statuses, for `/retest`: failed contexts and all contexts seen. */
export interface ContextState {
  readonly failed: ReadonlySet<string>;
  readonly all: ReadonlySet<string>;
}

export interface CommentSelectionInput {
  readonly body: string;
  readonly baseRef: string;
  readonly changedFiles: ChangedFilesProvider;
  /** Only needed when the comment holds `/retest` or `/retest-required`. */
  readonly contexts?: () => Promise<ContextState>;
  /** Treat `/ok-to-test` like `/test all` (Prow's trigger does when it removes needs-ok-to-test). */
  readonly honorOkToTest?: boolean;
}

/** How a job was chosen: Prow's filter result (should run, forced, default behaviour). */
interface FilterDecision {
  readonly matches: boolean;
  readonly forced: boolean;
  readonly defaults: boolean;
}

type JobFilter = (job: Presubmit) => FilterDecision;

const NO: FilterDecision = { matches: false, forced: false, defaults: false };

/**
 * The presubmits a comment asks for, exactly as Prow's trigger plugin decides: `/test <name>`
 * (by each job's trigger regexp), `/test all`, `/retest`, `/retest-required`,
 * `/test-manual-required`, and `/ok-to-test` when honoured. Jobs are returned in config order,
 * each once, whatever number of commands selected it.
 */
export async function presubmitsForComment(
  jobs: readonly Presubmit[],
  input: CommentSelectionInput,
): Promise<Presubmit[]> {
  const filters: JobFilter[] = [
    (job) => {
      const matched = triggerMatches(job, input.body);
      return { matches: matched, forced: matched, defaults: true };
    },
  ];
  if (RETEST.test(input.body) || RETEST_REQUIRED.test(input.body)) {
    const contexts = input.contexts
      ? await input.contexts()
      : { failed: new Set<string>(), all: new Set<string>() };
    const retest: JobFilter = (job) => {
      const failed = contexts.failed.has(job.context);
      return {
        matches: failed || (!needsExplicitTrigger(job) && !contexts.all.has(job.context)),
        forced: false,
        defaults: failed,
      };
    };
    if (RETEST.test(input.body)) filters.push(retest);
    if (RETEST_REQUIRED.test(input.body)) filters.push((job) => (job.optional ? NO : retest(job)));
  }
  if (TEST_MANUAL_REQUIRED.test(input.body)) {
    filters.push((job) =>
      job.optional || !needsExplicitTrigger(job) ? NO : { matches: true, forced: true, defaults: false },
    );
  }
  if ((input.honorOkToTest && OK_TO_TEST.test(input.body)) || TEST_ALL.test(input.body)) {
    filters.push((job) => ({ matches: !needsExplicitTrigger(job), forced: false, defaults: false }));
  }

  const selected: Presubmit[] = [];
  for (const job of jobs) {
    // As Prow's aggregate filter: the first filter that matches decides forced/defaults.
    const decision = filters.map((filter) => filter(job)).find((result) => result.matches);
    if (!decision) continue;
    if (
      await presubmitShouldRun(job, input.baseRef, input.changedFiles, decision.forced, decision.defaults)
    ) {
      selected.push(job);
    }
  }
  return selected;
}

/** Prow's `AvailablePresubmits`: what `/test ?` lists for this branch and change. */
export interface AvailablePresubmits {
  /** Jobs `/test all` would run. */
  readonly testAll: readonly string[];
  /** `/test` commands of required jobs that can run here. */
  readonly required: readonly string[];
  /** `/test` commands of optional jobs that can run here. */
  readonly optional: readonly string[];
}

export async function availablePresubmits(
  jobs: readonly Presubmit[],
  baseRef: string,
  changedFiles: ChangedFilesProvider,
): Promise<AvailablePresubmits> {
  const testAll = new Set<string>();
  const required = new Set<string>();
  const optional = new Set<string>();
  for (const job of jobs) {
    if (!needsExplicitTrigger(job) && (await presubmitShouldRun(job, baseRef, changedFiles, false, false))) {
      testAll.add(job.name);
    }
    const named =
      triggerMatches(job, job.rerun_command) ||
      jobs.some((other) => triggerMatches(job, other.rerun_command));
    if (named && (await presubmitShouldRun(job, baseRef, changedFiles, true, true))) {
      (job.optional ? optional : required).add(job.rerun_command);
    }
  }
  return { testAll: [...testAll].sort(), required: [...required].sort(), optional: [...optional].sort() };
}

/**
 * The `/test` commands in a comment that name no job, or name nothing at all (`/test`, `/test ?`):
 * Prow's trigger answers these with the list of available jobs instead of staying silent.
 */
export function unmatchedTestCommands(jobs: readonly Presubmit[], body: string): string[] {
  const unmatched: string[] = [];
  for (const match of body.matchAll(TEST_WITH_ANY_TARGET)) {
    const line = match[0].trimEnd();
    const targets = (match[1] ?? '').trim();
    if (targets === 'all' || targets.startsWith('all ') || targets.startsWith('all,')) continue;
    if (targets === '' || targets === '?' || !jobs.some((job) => triggerMatches(job, line)))
      unmatched.push(line);
  }
  return unmatched;
}
