import type { ArtifactStore } from '../artifacts/artifact-store';
import { jobArtifactsDir, PROW_FILES } from '../artifacts/layout';
import type { ProwJob } from '../prowjob/schema';
import type { Store, StoredJob } from '../store/store';

/** Where a job's build log is: the stored artifact once it finished, the live log while it runs. */
export interface JobLogSources {
  store: Store;
  artifacts: ArtifactStore;
  /** The log of a running execution (local mode has the executor in process). */
  liveLog?: (jobName: string) => Promise<string | undefined>;
}

export async function buildLogOf(sources: JobLogSources, job: ProwJob): Promise<string | undefined> {
  const buildId = job.status?.build_id;
  if (buildId) {
    const stored = await sources.artifacts.read(`${jobArtifactsDir(job, buildId)}${PROW_FILES.buildLog}`);
    if (stored) return stored.toString('utf8');
  }
  return sources.liveLog ? sources.liveLog(job.metadata.name ?? '') : undefined;
}

/** Deck's `/log?job=&id=`: the run of `job` whose build ID is `id`. */
export async function findRun(store: Store, job: string, buildId: string): Promise<StoredJob | undefined> {
  let cursor: string | undefined;
  // Runs of one job, newest first; the one asked for is nearly always on the first page.
  for (let pages = 0; pages < 20; pages++) {
    const page = await store.jobs.list({ job }, { limit: 200, ...(cursor ? { cursor } : {}) });
    const found = page.jobs.find((stored) => stored.job.status?.build_id === buildId);
    if (found || !page.nextCursor) return found;
    cursor = page.nextCursor;
  }
  return undefined;
}
