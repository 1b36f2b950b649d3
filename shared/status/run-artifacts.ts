import { z } from 'zod';
import type { ArtifactInfo, ArtifactStore } from '../artifacts/artifact-store';
import { jobArtifactsDir, PROW_FILES } from '../artifacts/layout';
import type { Logger } from '../log/logger';
import type { ProwJob } from '../prowjob/schema';
import { isJUnitFile, parseJUnit, type JUnitSuite } from './junit';

/**
 * What a run left in the artifact store, for its job page (Spyglass's view of a build directory):
 * the file list, started.json and finished.json, and the JUnit results. Whatever a job wrote is
 * other people's data: a broken file becomes a problem listed beside the results, never an
 * exception, so one bad file cannot take the page down.
 */

/**
 * started.json as Prow's initupload (TestGrid's metadata.Started) and older bootstrap scripts
 * write it. Loose: unknown keys are kept, since jobs add their own.
 */
export const StartedJsonSchema = z.looseObject({
  /** Seconds since the epoch. */
  timestamp: z.number().optional(),
  node: z.string().optional(),
  pull: z.string().optional(),
  /** `"org/repo": "base_ref:base_sha,pull:sha"` for every repository checked out. */
  repos: z.record(z.string(), z.string()).optional(),
  'repo-commit': z.string().optional(),
  /** Deprecated spellings of the commit, still written by Prow and read by TestGrid. */
  'repo-version': z.string().optional(),
  'job-version': z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type StartedJson = z.infer<typeof StartedJsonSchema>;

/** finished.json as Prow's sidecar and crier's GCS reporter (TestGrid's metadata.Finished) write it. */
export const FinishedJsonSchema = z.looseObject({
  timestamp: z.number().optional(),
  /** Go writes `null` for a build whose outcome was never recorded. */
  passed: z.boolean().nullable().optional(),
  /** SUCCESS, FAILURE, ABORTED or ERROR from Prow; other tools write their own words. */
  result: z.string().optional(),
  revision: z.string().optional(),
  'job-version': z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type FinishedJson = z.infer<typeof FinishedJsonSchema>;

export interface ArtifactProblem {
  /** Relative to the run's directory. */
  path: string;
  message: string;
}

export interface RunArtifacts {
  /** The run's directory in the store, ending in "/". */
  dir: string;
  started?: StartedJson;
  finished?: FinishedJson;
  /** Everything under `dir`, paths relative to it, sorted as the store sorts. */
  files: ArtifactInfo[];
  /** The JUnit files read, in path order. */
  junit: { path: string; suites: JUnitSuite[] }[];
  /** JUnit files found but not shown, and why. */
  junitErrors: ArtifactProblem[];
  /** started.json or finished.json present but unreadable, and why. */
  metadataErrors: ArtifactProblem[];
}

export interface RunArtifactsOptions {
  /** JUnit files read per run; Kubernetes' e2e jobs leave hundreds. Default 20. */
  maxJUnitFiles?: number;
  /** Bytes per JUnit file: the page parses them in memory. Default 10 MiB. */
  maxJUnitBytes?: number;
}

const DEFAULT_MAX_JUNIT_FILES = 20;
const DEFAULT_MAX_JUNIT_BYTES = 10 * 1024 * 1024;
/** started.json and finished.json are a few hundred bytes; anything near this is not one. */
const MAX_METADATA_BYTES = 1024 * 1024;
/** Files read at once: enough to hide a bucket's latency, few enough to bound memory. */
const READ_CONCURRENCY = 4;

/** Undefined when the job has no build ID yet, and so no directory. */
export async function readRunArtifacts(
  artifacts: ArtifactStore,
  job: ProwJob,
  options: RunArtifactsOptions = {},
): Promise<RunArtifacts | undefined> {
  const buildId = job.status?.build_id;
  if (!buildId) return undefined;
  const maxFiles = options.maxJUnitFiles ?? DEFAULT_MAX_JUNIT_FILES;
  const maxBytes = options.maxJUnitBytes ?? DEFAULT_MAX_JUNIT_BYTES;

  const dir = jobArtifactsDir(job, buildId);
  const files = (await artifacts.list(dir)).map((info) => ({ ...info, path: info.path.slice(dir.length) }));
  const byPath = new Map(files.map((info) => [info.path, info]));
  const metadataErrors: ArtifactProblem[] = [];
  const readMetadata = async <T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> => {
    const info = byPath.get(path);
    if (!info) return undefined;
    const result = await readDocument(artifacts, dir, info, MAX_METADATA_BYTES, (text) => parseJson(text, schema));
    if ('problem' in result) metadataErrors.push({ path, message: result.problem });
    return 'value' in result ? result.value : undefined;
  };
  const [started, finished] = await Promise.all([
    readMetadata(PROW_FILES.started, StartedJsonSchema),
    readMetadata(PROW_FILES.finished, FinishedJsonSchema),
  ]);
  // Read concurrently, reported in a fixed order: started before finished.
  metadataErrors.sort((a, b) => a.path.localeCompare(b.path) * -1);

  const candidates = files.filter((info) => isJUnitFile(info.path));
  const junit: RunArtifacts['junit'] = [];
  const junitErrors: ArtifactProblem[] = [];
  const toRead = candidates.slice(0, Math.max(0, maxFiles));
  const results = await mapLimited(toRead, READ_CONCURRENCY, (info) => readDocument(artifacts, dir, info, maxBytes, parseJUnit));
  toRead.forEach((info, index) => {
    const result = results[index];
    if (result && 'value' in result) junit.push({ path: info.path, suites: result.value });
    else junitErrors.push({ path: info.path, message: result?.problem ?? 'not read' });
  });
  for (const info of candidates.slice(toRead.length)) {
    junitErrors.push({ path: info.path, message: `not read: only the first ${maxFiles} JUnit files of a run are shown` });
  }

  const run: RunArtifacts = { dir, files, junit, junitErrors, metadataErrors };
  if (started) run.started = started;
  if (finished) run.finished = finished;
  return run;
}

export type ReadResult<T> = { value: T } | { problem: string };

/** Reads and parses one file; every way that can go wrong becomes a sentence for the page. */
export async function readDocument<T>(
  artifacts: ArtifactStore,
  dir: string,
  info: ArtifactInfo,
  maxBytes: number,
  parse: (text: string) => T,
): Promise<ReadResult<T>> {
  const tooBig = (size: number) => ({ problem: `not read: ${formatBytes(size)} is over the ${formatBytes(maxBytes)} limit for this file` });
  if (info.size > maxBytes) return tooBig(info.size);
  let content: Buffer | undefined;
  try {
    // One byte past the limit tells a file that grew since it was listed from one that fits exactly.
    content = await artifacts.readRange(`${dir}${info.path}`, 0, maxBytes + 1);
  } catch (error) {
    return { problem: `could not be read: ${messageOf(error)}` };
  }
  if (!content) return { problem: 'listed but gone when read: it was removed or replaced' };
  if (content.length > maxBytes) return tooBig(content.length);
  try {
    return { value: parse(content.toString('utf8')) };
  } catch (error) {
    return { problem: messageOf(error) };
  }
}

function parseJson<T>(text: string, schema: z.ZodType<T>): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`not valid JSON: ${messageOf(error)}`, { cause: error });
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new Error(`unexpected content: ${where}${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < items.length) {
      const index = nextIndex++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What the run stored, for a page; a store that cannot be read costs the page its results, not the page. */
export async function runArtifactsForPage(artifacts: ArtifactStore, log: Logger, job: ProwJob): Promise<RunArtifacts | undefined> {
  try {
    return await readRunArtifacts(artifacts, job);
  } catch (error) {
    const refs = job.spec.refs;
    log.warn('could not read the run\'s artifacts', { jobId: job.metadata.name, job: job.spec.job, ...(refs ? { repo: `${refs.org}/${refs.repo}` } : {}), error: (error as Error).message });
    return undefined;
  }
}
