import type { ArtifactStore } from '../artifacts/artifact-store';
import { jobArtifactsDir, PROW_FILES } from '../artifacts/layout';
import type { ProwJob } from '../prowjob/schema';
import type { Store, StoredJob } from '../store/store';
import type { StatusRequest } from './status-request';
import { sendText } from './respond';
import { isActiveState } from '../prowjob/lifecycle';

/**
 * Where a job's build log is: while it runs, the executor's live log (local mode has the executor
 * in process) or else the partial build-log.txt the runner copies as the job runs; once it has
 * finished, the build-log.txt stored with its results.
 */
export interface JobLogSources {
  store: Store;
  artifacts: ArtifactStore;
  /** The log of a running execution, when this process can see it. */
  liveLog?: (jobName: string) => Promise<string | undefined>;
}

/** The bytes of the job's log from `offset`, wherever the log is now; undefined when there is none yet. */
export async function readLogFrom(sources: JobLogSources, job: ProwJob, offset: number): Promise<Buffer | undefined> {
  if (sources.liveLog && isActiveState(job.status?.state ?? 'triggered')) {
    const text = await sources.liveLog(job.metadata.name ?? '');
    if (text !== undefined) return Buffer.from(text, 'utf8').subarray(offset);
  }
  const buildId = job.status?.build_id;
  if (!buildId) return undefined;
  return sources.artifacts.readRange(`${jobArtifactsDir(job, buildId)}${PROW_FILES.buildLog}`, offset);
}

/** The whole log as text. */
export async function buildLogOf(sources: JobLogSources, job: ProwJob): Promise<string | undefined> {
  return (await readLogFrom(sources, job, 0))?.toString('utf8');
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

/** Deck's `GET /log?job=<job>&id=<build id>`: the whole log as text. */
export async function serveRawLog(page: StatusRequest): Promise<void> {
  const job = page.url.searchParams.get('job');
  const id = page.url.searchParams.get('id');
  if (!job || !id) return sendText(page.response, 400, 'give the job name and build ID: /log?job=<job>&id=<build id>\n');
  const run = await findRun(page.deps.store, job, id);
  const log = run && page.visible(run.job) ? await buildLogOf(page.deps, run.job) : undefined;
  if (log === undefined) sendText(page.response, 404, `no log for ${job} build ${id}\n`);
  else sendText(page.response, 200, log);
}
