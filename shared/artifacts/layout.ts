import { pullRefsString } from '../prowjob/environment';
import type { ProwJob, Refs } from '../prowjob/schema';
import { checkArtifactPath } from './artifact-store';

/**
 * Where a job's results go and what the metadata documents in them say, exactly as Prow's pod
 * utilities write them (pkg/pod-utils/gcs, pkg/gcsupload, pkg/sidecar, and TestGrid's metadata
 * package), because TestGrid, Spyglass and Gubernator find builds by these paths and read these
 * field names. Pure: no I/O, no clock.
 */

/** The files Prow's utilities write in a build's directory (pkg/apis/prowjobs/v1 and pkg/sidecar). */
export const PROW_FILES = {
  started: 'started.json',
  finished: 'finished.json',
  buildLog: 'build-log.txt',
  prowJob: 'prowjob.json',
  cloneRecords: 'clone-records.json',
  cloneLog: 'clone-log.txt',
  latestBuild: 'latest-build.txt',
  /** The pod and its Kubernetes events, for the podinfo lens (Kubernetes executions only). */
  podInfo: 'podinfo.json',
  /** A directory, for whatever the job leaves in $ARTIFACTS. */
  artifacts: 'artifacts/',
} as const;

export type PathStrategy = 'explicit' | 'legacy' | 'single';

/** The parts of Prow's `gcs_configuration` that shape paths. */
export interface GcsPathOptions {
  /** How presubmit paths name the repository. Prow requires one; Cutwater defaults to `explicit`. */
  pathStrategy?: PathStrategy;
  /** The repository `legacy` and `single` leave out of paths. */
  defaultOrg?: string;
  defaultRepo?: string;
  /** Put in front of build directories only, as Prow does; latest-build.txt and links stay at the root. */
  pathPrefix?: string;
}

/** The job's own `decoration_config.gcs_configuration`, which Prow's uploaders follow. */
export function gcsPathOptionsOf(job: ProwJob): GcsPathOptions {
  const gcs = job.spec.decoration_config?.gcs_configuration;
  const options: GcsPathOptions = {};
  if (gcs?.path_strategy) options.pathStrategy = gcs.path_strategy;
  if (gcs?.default_org) options.defaultOrg = gcs.default_org;
  if (gcs?.default_repo) options.defaultRepo = gcs.default_repo;
  if (gcs?.path_prefix) options.pathPrefix = gcs.path_prefix;
  return options;
}

/**
 * A build's directory, ending in "/":
 * - periodics and postsubmits: `logs/<job>/<build>/`
 * - presubmits: `pr-logs/pull/<org>_<repo>/<pr>/<job>/<build>/`, the repository segment shortened
 *   or dropped for the default repository under the `legacy` and `single` strategies
 * - batches: `pr-logs/pull/batch/<job>/<build>/`
 */
export function jobArtifactsDir(job: ProwJob, buildId: string, options: GcsPathOptions = gcsPathOptionsOf(job)): string {
  requireName('build ID', buildId);
  const jobName = requireName('job name', job.spec.job);
  let segments: string[];
  switch (job.spec.type) {
    case 'periodic':
    case 'postsubmit':
      segments = ['logs', jobName, buildId];
      break;
    case 'presubmit': {
      const { refs, pull } = presubmitRefs(job);
      segments = ['pr-logs', 'pull', repoSegment(refs, options), String(pull), jobName, buildId];
      break;
    }
    case 'batch':
      segments = ['pr-logs', 'pull', 'batch', jobName, buildId];
      break;
  }
  return directory([options.pathPrefix ?? '', ...segments]);
}

/**
 * The job's directory across builds (Prow's RootForSpec): `logs/<job>/` for periodics and
 * postsubmits, `pr-logs/directory/<job>/` for presubmits and batches.
 */
export function jobRootDir(job: ProwJob): string {
  const jobName = requireName('job name', job.spec.job);
  return job.spec.type === 'periodic' || job.spec.type === 'postsubmit'
    ? directory(['logs', jobName])
    : directory(['pr-logs', 'directory', jobName]);
}

/**
 * Where the newest build ID is written (Prow's LatestBuildForSpec): `logs/<job>/latest-build.txt`,
 * or `pr-logs/directory/<job>/latest-build.txt` and, for presubmits, also the pull request's own
 * `pr-logs/pull/<org>_<repo>/<pr>/<job>/latest-build.txt`, which Gubernator reads.
 */
export function latestBuildPaths(job: ProwJob, options: GcsPathOptions = gcsPathOptionsOf(job)): string[] {
  const jobName = requireName('job name', job.spec.job);
  switch (job.spec.type) {
    case 'periodic':
    case 'postsubmit':
      return [file(['logs', jobName, PROW_FILES.latestBuild])];
    case 'presubmit': {
      const { refs, pull } = presubmitRefs(job);
      return [
        file(['pr-logs', 'directory', jobName, PROW_FILES.latestBuild]),
        file(['pr-logs', 'pull', repoSegment(refs, options), String(pull), jobName, PROW_FILES.latestBuild]),
      ];
    }
    case 'batch':
      return [file(['pr-logs', 'directory', jobName, PROW_FILES.latestBuild])];
  }
}

/**
 * Presubmit builds live under their pull request, so Prow also writes
 * `pr-logs/directory/<job>/<build>.txt` holding the build directory's URL, which is how a job's
 * builds are found across pull requests. Undefined for other job types, which have no such file.
 *
 * `bucket` is the bucket's name or a URL with a scheme (`gs://b`, `s3://b`), as Prow's config allows.
 * Prow also sets the URL as the object's `x-goog-meta-link` metadata; readers use the content.
 */
export function pullDirectoryLink(
  job: ProwJob,
  buildId: string,
  bucket: string,
  options: GcsPathOptions = gcsPathOptionsOf(job),
): { path: string; content: string } | undefined {
  if (job.spec.type !== 'presubmit') return undefined;
  const jobName = requireName('job name', job.spec.job);
  const buildDir = jobArtifactsDir(job, buildId, options).slice(0, -1);
  const trimmedBucket = bucket.replace(/\/+$/, '');
  const content = trimmedBucket.includes('://') ? `${trimmedBucket}/${buildDir}` : `gs://${trimmedBucket}/${buildDir}`;
  return { path: file(['pr-logs', 'directory', jobName, `${buildId}.txt`]), content };
}

/** Prow's RepoPathBuilders: how a presubmit's path names its repository. */
function repoSegment(refs: Refs, options: GcsPathOptions): string {
  const strategy = options.pathStrategy ?? 'explicit';
  if (strategy !== 'explicit' && (!options.defaultOrg || !options.defaultRepo)) {
    throw new Error(`the ${strategy} path strategy needs default_org and default_repo`);
  }
  if (strategy === 'legacy' && refs.org === options.defaultOrg) return refs.repo === options.defaultRepo ? '' : refs.repo;
  if (strategy === 'single' && refs.org === options.defaultOrg && refs.repo === options.defaultRepo) return '';
  // Gerrit orgs are hosts (https://review.example.com) and its repositories may nest, so both are flattened.
  const org = refs.org.replace(/^https:\/\//, '').replace(/^http:\/\//, '').replace(/\/+$/, '');
  return `${org}_${refs.repo.replaceAll('/', '_')}`;
}

function presubmitRefs(job: ProwJob): { refs: Refs; pull: number } {
  const refs = job.spec.refs;
  const pull = refs?.pulls?.[0]?.number;
  if (!refs || pull === undefined) throw new Error(`presubmit ${job.spec.job} has no pull request in its refs`);
  return { refs, pull };
}

function requireName(what: string, value: string): string {
  if (value === '') throw new Error(`a ${what} is needed for an artifact path`);
  return value;
}

/** Joins as Go's path.Join does for these inputs: empty segments vanish. */
function file(segments: string[]): string {
  return checkArtifactPath(segments.flatMap((segment) => segment.split('/')).filter((part) => part !== '').join('/'));
}

function directory(segments: string[]): string {
  return `${file(segments)}/`;
}

/** The value of a metadata key: TestGrid reads strings and maps of strings; anything JSON is allowed. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** started.json (TestGrid's metadata.Started), in Cutwater's spelling; see `startedJson` for Prow's. */
export interface Started {
  /** When the job started, in seconds since the epoch. */
  timestamp: number;
  /** The machine (for Cutwater, the pod) the job ran on. */
  node?: string;
  /** The pull request number being tested, as a string. */
  pull?: string;
  /** Every repository checked out: `"org/repo": "base_ref:base_sha,pull:sha"`. */
  repos?: Record<string, string>;
  /** The commit tested; Prow writes it as both `repo-commit` and the older `repo-version`. */
  repoCommit?: string;
  repoVersion?: string;
  /** Deprecated in TestGrid in favour of finished.json's, still read. */
  metadata?: Record<string, JsonValue>;
}

/** How a build ended, as Prow's sidecar spells it. */
export type FinishedResult = 'SUCCESS' | 'FAILURE' | 'ABORTED' | 'ERROR';

/** finished.json (TestGrid's metadata.Finished), in Cutwater's spelling; see `finishedJson` for Prow's. */
export interface Finished {
  /** When the job finished, in seconds since the epoch. */
  timestamp: number;
  passed: boolean;
  result: FinishedResult;
  /** The commit tested (Prow's sidecar fills it from the refs; TestGrid shows it as the version). */
  revision?: string;
  /** What the job reported about itself, e.g. `job-version`, `links`. */
  metadata?: Record<string, JsonValue>;
}

/**
 * The started.json Prow's initupload writes: Go's field names and order, empty fields left out
 * (omitempty), map keys sorted and <, >, & escaped as Go's encoding/json does, so the bytes match.
 */
export function startedJson(started: Started): string {
  return goJson([
    ['timestamp', epochSeconds(started.timestamp)],
    ['node', started.node || undefined],
    ['pull', started.pull || undefined],
    ['repos', nonEmpty(started.repos)],
    ['repo-commit', started.repoCommit || undefined],
    ['metadata', nonEmpty(started.metadata)],
    ['repo-version', started.repoVersion || undefined],
  ]);
}

/** The finished.json Prow's sidecar writes, byte for byte as Go would marshal it. */
export function finishedJson(finished: Finished): string {
  return goJson([
    ['timestamp', epochSeconds(finished.timestamp)],
    ['passed', finished.passed],
    ['metadata', nonEmpty(finished.metadata)],
    ['result', finished.result],
    ['revision', finished.revision || undefined],
  ]);
}

/**
 * What Prow records in started.json for a job (downwardapi.PjToStarted): the pull request, every
 * repository's refs, and the commit tested. `checkedOutSha` is the commit after cloning and
 * merging, when known; otherwise the pull request's head, else the base.
 */
export function startedForJob(job: ProwJob, at: { timestamp: number; node?: string; checkedOutSha?: string }): Started {
  const version = at.checkedOutSha || revisionOf(job);
  const started: Started = { timestamp: at.timestamp };
  if (at.node) started.node = at.node;
  const pull = job.spec.refs?.pulls?.[0];
  if (pull) started.pull = String(pull.number);
  const repos: Record<string, string> = {};
  for (const refs of [...(job.spec.refs ? [job.spec.refs] : []), ...(job.spec.extra_refs ?? [])]) {
    repos[`${refs.org}/${refs.repo}`] = pullRefsString(refs);
  }
  if (Object.keys(repos).length > 0) started.repos = repos;
  if (version) {
    started.repoCommit = version;
    started.repoVersion = version;
  }
  return started;
}

/**
 * The commit a job tests (downwardapi.GetRevisionFromRefs): of its refs, or else its first
 * non-auxiliary extra refs, the first pull request's head, else the base SHA, else the base ref.
 */
export function revisionOf(job: ProwJob): string | undefined {
  const main = job.spec.refs ?? job.spec.extra_refs?.find((refs) => !refs.auxiliary);
  if (!main) return undefined;
  return main.pulls?.[0]?.sha || main.base_sha || main.base_ref || undefined;
}

function epochSeconds(timestamp: number): number {
  // A millisecond clock reading is the likely mistake; these documents are in seconds.
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp >= 1e11) {
    throw new RangeError(`timestamp ${timestamp} is not whole seconds since the epoch`);
  }
  return timestamp;
}

function nonEmpty<T extends object>(map: T | undefined): T | undefined {
  return map && Object.keys(map).length > 0 ? map : undefined;
}

/** Go's json.Marshal of a struct: fields in declaration order, undefined ones omitted. */
function goJson(fields: [string, JsonValue | undefined][]): string {
  const members = fields.flatMap(([name, value]) => (value === undefined ? [] : [`${encodeString(name)}:${encode(value)}`]));
  return `{${members.join(',')}}`;
}

/**
 * Encoded by hand rather than by JSON.stringify, which puts integer-like keys ("10", "9") first in
 * numeric order, where Go writes every map's keys in byte order.
 */
function encode(value: JsonValue): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`${value} has no JSON form`);
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return encodeString(value);
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`;
  const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const members = keys.flatMap((key) => {
    const child = value[key];
    return child === undefined ? [] : [`${encodeString(key)}:${encode(child)}`];
  });
  return `{${members.join(',')}}`;
}

/** As JSON.stringify, plus Go's escapes of <, > and & (for embedding in HTML) and of U+2028 and U+2029. */
function encodeString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
