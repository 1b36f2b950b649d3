import { GITHUB_REPORTER, type ProwJob, type ProwJobStatus, type ProwJobType } from '../prowjob/schema';
import { namedForKey } from '../prowjob/names';
import { InvalidTransitionError, JobNotFoundError } from '../store/errors';
import type { CreateResult, JobStore, StoredJob } from '../store/store';

/**
 * The ProwJob operations a plugin makes: create a job idempotently, find a pull request's jobs and
 * abort them. Leases, slots, deliveries and report records belong to the runner and reporter and
 * are out of a plugin's reach.
 */
export interface PluginJobs {
  /** A second create with the same key returns the first job (`created: false`); the job is named by the key. */
  create(job: ProwJob, idempotencyKey: string): Promise<CreateResult>;
  /** Every stored job of one pull request ("org/repo", number), all pages, optionally narrowed. */
  ofPullRequest(
    repo: string,
    pull: number,
    narrowedTo?: { job?: string; type?: ProwJobType },
  ): Promise<StoredJob[]>;
  /**
   * Aborts a job with `description` as its status description. False when there was nothing to
   * abort: the job finished or vanished meanwhile. `superseded`: a newer run of the same job
   * replaces it, so GitHub is not told of the abort — the commit's status for the job's context
   * stays the newer run's, whichever of the two the reporter gets to last.
   */
  abort(name: string, description: string, options?: { superseded?: boolean }): Promise<boolean>;
}

const PAGE_LIMIT = 1000;

export function pluginJobsOf(jobs: JobStore): PluginJobs {
  return {
    create: (job, idempotencyKey) => jobs.create(namedForKey(job, idempotencyKey), { idempotencyKey }),
    ofPullRequest: async (repo, pull, narrowedTo = {}) => {
      const found: StoredJob[] = [];
      let cursor: string | undefined;
      do {
        const page = await jobs.list({ repo, pull, ...narrowedTo }, { limit: PAGE_LIMIT, ...(cursor ? { cursor } : {}) });
        found.push(...page.jobs);
        cursor = page.nextCursor;
      } while (cursor);
      return found;
    },
    abort: async (name, description, options = {}) => {
      const status: Partial<ProwJobStatus> = { description };
      if (options.superseded) status.prev_report_states = { [GITHUB_REPORTER]: 'aborted' };
      try {
        await jobs.update(name, { state: 'aborted', status }, 'latest');
        return true;
      } catch (error) {
        if (error instanceof InvalidTransitionError || error instanceof JobNotFoundError) return false;
        throw error;
      }
    },
  };
}
