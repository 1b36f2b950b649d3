import { namedForKey } from '../prowjob/names';
import type { Config } from '../config/model';
import type { GitHubClient } from '../github/client';
import type { Logger } from '../log/logger';
import { newPeriodicJob, newPostsubmitJob, newPresubmitJob, newProwJob } from '../jobs/factory';
import type { ProwJob } from '../prowjob/schema';
import { InvalidTransitionError } from '../store/errors';
import type { Store } from '../store/store';
import { decideRerun, membershipLookupFor, type MembershipLookup, type RerunDecision } from './auth/rerun-auth';
import { isActiveState } from '../prowjob/lifecycle';
import { stateOf } from './pages/layout';
import { RERUN_BY_ANNOTATION, RERUN_OF_ANNOTATION } from './triggered-by';

/**
 * Rerun and abort from the status page (Deck's `/rerun` and `/abort`), with Prow's authorisation:
 * `allow_anyone`, or a signed-in user named by the job's or the deck's `rerun_auth_configs`, or —
 * for a presubmit — a user who could have asked for it with `/test`. Both are recorded on the job:
 * a rerun carries who asked and what it reruns (annotations); an abort says who aborted it in the
 * job's description, where Prow's deck puts it.
 */

export interface ActionDependencies {
  store: Store;
  config: Config;
  log: Logger;
  now: () => number;
  /** GitHub, for org and team membership; undefined when the status pages have no credentials. */
  github?: (org: string, repo: string) => Promise<GitHubClient>;
}

export type ActionResult =
  | { ok: true; job: ProwJob; message: string }
  | { ok: false; status: number; message: string; signInMayHelp?: boolean };

/** The repository a log line concerns, as every Cutwater log line names it. */
function repoField(job: ProwJob): { repo?: string } {
  const refs = job.spec.refs ?? job.spec.extra_refs?.[0];
  return refs ? { repo: `${refs.org}/${refs.repo}` } : {};
}

async function authorise(deps: ActionDependencies, job: ProwJob, login: string | undefined): Promise<RerunDecision> {
  const refs = job.spec.refs ?? job.spec.extra_refs?.[0];
  let lookup: MembershipLookup | undefined;
  if (login && refs && deps.github) {
    try {
      // GitHub is asked as the installation on the job's repository (a GitHub App has one per org).
      lookup = membershipLookupFor(await deps.github(refs.org, refs.repo), deps.config.plugins);
    } catch (error) {
      deps.log.error('cannot reach GitHub to check rerun authorisation', { jobId: job.metadata.name, repo: `${refs.org}/${refs.repo}`, error: (error as Error).message });
      return { allowed: false, status: 500, reason: `GitHub could not be asked about ${refs.org}/${refs.repo}; try again later` };
    }
  }
  return decideRerun({ job, deck: deps.config.prow.deck, ...(login ? { login } : {}), ...(lookup ? { lookup } : {}) });
}

function refusal(decision: Exclude<RerunDecision, { allowed: true }>, verb: 'rerun' | 'abort', login: string | undefined): ActionResult {
  return {
    ok: false,
    status: decision.status,
    message:
      decision.status === 500
        ? `Could not check whether you may ${verb} this job: ${decision.reason}`
        : `You are not allowed to ${verb} this job${login ? ` (signed in as ${login})` : ''}: ${decision.reason}.`,
    signInMayHelp: !login,
  };
}

/**
 * The new run's spec: `original` copies the old run's spec (Prow's default), `latest` takes the
 * job's definition from the current config, as Prow's `mode=latest` — refused when the job is gone.
 */
function rerunOf(old: ProwJob, mode: 'original' | 'latest', config: Config, now: Date): ProwJob | string {
  const keep = { ...old.metadata.labels };
  if (mode === 'original') return newProwJob(structuredClone(old.spec), keep, { ...old.metadata.annotations }, { now, config });
  const refs = old.spec.refs;
  switch (old.spec.type) {
    case 'periodic': {
      const periodic = config.periodics.find((job) => job.name === old.spec.job);
      return periodic ? newPeriodicJob(periodic, { now, config }) : `no periodic named ${old.spec.job} in the current config`;
    }
    case 'batch':
      // As Prow: a batch's latest spec would be a presubmit's, not a batch's.
      return 'a batch job can only be rerun as it was (without mode=latest)';
    case 'presubmit': {
      const presubmit = refs && config.presubmits.get(`${refs.org}/${refs.repo}`)?.find((job) => job.name === old.spec.job);
      if (!presubmit || !refs) return `no presubmit named ${old.spec.job} for this repository in the current config`;
      return newPresubmitJob(presubmit, refs, { now, config });
    }
    case 'postsubmit': {
      const postsubmit = refs && config.postsubmits.get(`${refs.org}/${refs.repo}`)?.find((job) => job.name === old.spec.job);
      if (!postsubmit || !refs) return `no postsubmit named ${old.spec.job} for this repository in the current config`;
      return newPostsubmitJob(postsubmit, refs, { now, config });
    }
  }
}

export interface RerunRequest {
  name: string;
  login: string | undefined;
  mode: 'original' | 'latest';
  /** A value unique to the form the request came from: a double submit makes one job. */
  requestId: string;
  visible: (job: ProwJob) => boolean;
}

export async function rerunJob(deps: ActionDependencies, request: RerunRequest): Promise<ActionResult> {
  const stored = await deps.store.jobs.get(request.name);
  if (!stored || !request.visible(stored.job)) return { ok: false, status: 404, message: `No ProwJob named ${request.name}.` };
  const old = stored.job;
  const fresh = rerunOf(old, request.mode, deps.config, new Date(deps.now()));
  if (typeof fresh === 'string') return { ok: false, status: 400, message: `Cannot rerun with the latest config: ${fresh}.` };
  // As Prow's deck: the run about to be made is authorised, so with mode=latest the job's current
  // rerun_auth_config decides, not the one the old run was made with.
  const decision = await authorise(deps, fresh, request.login);
  deps.log.info('rerun requested from the status page', { jobId: request.name, job: old.spec.job, ...repoField(old), user: request.login ?? '(anonymous)', allowed: decision.allowed });
  if (!decision.allowed) return refusal(decision, 'rerun', request.login);
  fresh.metadata.annotations = {
    ...fresh.metadata.annotations,
    [RERUN_OF_ANNOTATION]: request.name,
    ...(request.login ? { [RERUN_BY_ANNOTATION]: request.login } : {}),
  };
  const description = request.login ? `${request.login} successfully reran ${request.name}.` : `Successfully reran ${request.name}.`;
  fresh.status = { ...fresh.status, state: 'triggered', description };
  const idempotencyKey = `rerun/${request.name}/${request.requestId}`;
  const created = await deps.store.jobs.create(namedForKey(fresh, idempotencyKey), { idempotencyKey });
  const job = created.created ? created.job.job : created.job?.job;
  if (!job) return { ok: false, status: 409, message: 'That rerun was already made and has since been deleted.' };
  deps.log.info(description, { jobId: job.metadata.name, job: job.spec.job, ...repoField(job), rerunOf: request.name, user: request.login ?? '(anonymous)' });
  return { ok: true, job, message: created.created ? description : 'This rerun was already requested.' };
}

export async function abortJob(deps: ActionDependencies, request: Omit<RerunRequest, 'mode' | 'requestId'>): Promise<ActionResult> {
  const stored = await deps.store.jobs.get(request.name);
  if (!stored || !request.visible(stored.job)) return { ok: false, status: 404, message: `No ProwJob named ${request.name}.` };
  const job = stored.job;
  if (!isActiveState(stateOf(job))) return { ok: false, status: 400, message: `Cannot abort a job that is already ${stateOf(job)}.` };
  const decision = await authorise(deps, job, request.login);
  deps.log.info('abort requested from the status page', { jobId: request.name, job: job.spec.job, ...repoField(job), user: request.login ?? '(anonymous)', allowed: decision.allowed });
  if (!decision.allowed) return refusal(decision, 'abort', request.login);
  const description = request.login ? `${request.login} successfully aborted ${request.name}.` : `Successfully aborted ${request.name}.`;
  try {
    const written = await deps.store.jobs.update(request.name, { state: 'aborted', status: { description } }, 'latest');
    deps.log.info(description, { jobId: request.name, job: job.spec.job, ...repoField(job), user: request.login ?? '(anonymous)' });
    return { ok: true, job: written.job, message: description };
  } catch (error) {
    if (!(error instanceof InvalidTransitionError)) throw error;
    return { ok: false, status: 409, message: 'The job finished before it could be aborted.' };
  }
}
