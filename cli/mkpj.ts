import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadConfigOrThrow, type ConfigPaths } from '../shared/config/load';
import type { Config, Periodic, Postsubmit, Presubmit } from '../shared/config/model';
import type { GitHubClient } from '../shared/github/client';
import { GitHubClients, githubAuthFromEnv } from '../shared/github/octokit';
import { API_TOKEN_FILE } from './local/system';
import { UNSERVED_HEADER } from '../shared/status/local-job-api';
import { newPeriodicJob, newPostsubmitJob, newPresubmitJob } from '../shared/jobs/factory';
import { runsAgainstBranch } from '../shared/config/branches';
import { isFinalState } from '../shared/prowjob/lifecycle';
import { ProwJobSchema, type ProwJob, type Refs } from '../shared/prowjob/schema';
import { githubApiUrl } from '../shared/github/environment';
import { openStore } from '../shared/store/open';
import { CommandFailure, parseFlags, UsageError } from './args';
import type { CommandIO } from './checkconfig';
import { demoConfigPaths } from './demo-config';
import { MKPJ_USAGE } from './mkpj-usage';

/** Prow's mkpj: a ProwJob from config, printed (--dry-run) or started, and optionally followed. */

type Found =
  | { kind: 'presubmit'; repo: string; job: Presubmit }
  | { kind: 'postsubmit'; repo: string; job: Postsubmit }
  | { kind: 'periodic'; job: Periodic };

function findJob(config: Config, name: string, baseRef: string | undefined): Found {
  const found: Found[] = [];
  for (const periodic of config.periodics) if (periodic.name === name) found.push({ kind: 'periodic', job: periodic });
  for (const [repo, jobs] of config.presubmits) for (const job of jobs) if (job.name === name) found.push({ kind: 'presubmit', repo, job });
  for (const [repo, jobs] of config.postsubmits) for (const job of jobs) if (job.name === name) found.push({ kind: 'postsubmit', repo, job });
  // One name may be one job per release branch: --base-ref picks the one that runs on that branch.
  const onBranch = baseRef === undefined ? found : found.filter((candidate) => candidate.kind === 'periodic' || runsAgainstBranch(candidate.job, baseRef));
  const [only, ...more] = onBranch;
  if (only && more.length === 0) return only;
  if (found.length > 0) {
    const which = (candidate: Found) => {
      const { file, line } = candidate.job.source;
      const what = candidate.kind === 'periodic' ? 'periodic' : `${candidate.kind} of ${candidate.repo}`;
      const branches = candidate.kind === 'periodic' ? '' : candidate.job.branches?.length ? `, branches ${candidate.job.branches.join(' ')}` : ', every branch';
      const skipped = candidate.kind !== 'periodic' && candidate.job.skip_branches?.length ? ` except ${candidate.job.skip_branches.join(' ')}` : '';
      return `  ${file}:${line}: ${what}${branches}${skipped}`;
    };
    const listed = onBranch.length > 0 ? onBranch : found;
    const head =
      onBranch.length === 0
        ? `--job ${name} names ${found.length} jobs, none of which runs on --base-ref ${baseRef}:`
        : `--job ${name} names ${listed.length} jobs${baseRef === undefined ? '' : ` that run on ${baseRef}`}:`;
    const how = baseRef === undefined ? 'choose one with --base-ref BRANCH' : 'choose one with a --base-ref only one of them runs on, or give --job-config-path the one file';
    throw new CommandFailure([head, ...listed.map(which), how].join('\n'));
  }
  const all = [...config.periodics.map((job) => job.name), ...[...config.presubmits.values(), ...config.postsubmits.values()].flat().map((job) => job.name)];
  const stem = name.slice(0, Math.max(3, Math.floor(name.length / 2)));
  const close = [...new Set(all.filter((candidate) => candidate.includes(stem) || name.includes(candidate)))].slice(0, 5);
  throw new UsageError(`no job named ${name} in the config${close.length ? `; did you mean ${close.join(', ')}?` : ''}`);
}

function githubClient(): GitHubClient | undefined {
  const auth = githubAuthFromEnv(process.env);
  return auth ? new GitHubClients({ baseUrl: githubApiUrl(), auth }).clientForInstallation() : undefined;
}

interface RefFlags {
  'base-ref'?: string;
  'base-sha'?: string;
  'pull-number'?: string;
  'pull-sha'?: string;
  'pull-author'?: string;
}

async function presubmitRefs(repo: string, flags: RefFlags): Promise<Refs> {
  const number = Number(flags['pull-number']);
  if (!flags['pull-number'] || !Number.isInteger(number) || number <= 0) {
    throw new UsageError(`${repo}'s presubmits need --pull-number (a pull request number)`);
  }
  const [org = '', name = ''] = repo.split('/');
  let baseRef = flags['base-ref'];
  let baseSha = flags['base-sha'];
  let pullSha = flags['pull-sha'];
  let author = flags['pull-author'];
  let title: string | undefined;
  if (!baseRef || !baseSha || !pullSha || !author) {
    const github = githubClient();
    if (!github) {
      throw new UsageError('give --base-ref, --base-sha, --pull-sha and --pull-author, or set GITHUB_TOKEN so mkpj can read the pull request');
    }
    const pr = await github.getPullRequest(org, name, number);
    baseRef ??= pr.base.ref;
    baseSha ??= pr.base.sha;
    pullSha ??= pr.head.sha;
    author ??= pr.user.login;
    title = pr.title;
  }
  return {
    org,
    repo: name,
    base_ref: baseRef,
    base_sha: baseSha,
    pulls: [{ number, author, sha: pullSha, ...(title ? { title } : {}) }],
  };
}

function postsubmitRefs(repo: string, flags: RefFlags): Refs {
  const [org = '', name = ''] = repo.split('/');
  if (!flags['base-ref'] || !flags['base-sha']) throw new UsageError(`${repo}'s postsubmits need --base-ref and --base-sha`);
  return { org, repo: name, base_ref: flags['base-ref'], base_sha: flags['base-sha'] };
}

async function buildJob(config: Config, name: string, flags: RefFlags): Promise<ProwJob> {
  const found = findJob(config, name, flags['base-ref']);
  const options = { name: randomUUID(), now: new Date(), config };
  switch (found.kind) {
    case 'periodic':
      return newPeriodicJob(found.job, options);
    case 'presubmit':
      return newPresubmitJob(found.job, await presubmitRefs(found.repo, flags), options);
    case 'postsubmit':
      return newPostsubmitJob(found.job, postsubmitRefs(found.repo, flags), options);
  }
}

/** Where the job goes: a running `cutwater local`, or a project's Firestore. */
interface Target {
  describe: string;
  /** Creates the job; answers why it will not start, when the target knows it will not. */
  create(job: ProwJob): Promise<string | undefined>;
  get(name: string): Promise<ProwJob | undefined>;
  log(job: ProwJob): Promise<string | undefined>;
  pageOf(name: string): string | undefined;
  close(): Promise<void>;
}

function localTarget(address: string, dataDir: string): Target {
  const base = address.replace(/\/+$/, '');
  const tokenFile = path.join(dataDir, API_TOKEN_FILE);
  const token = process.env.CUTWATER_API_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  const reach = async (url: string, init?: RequestInit): Promise<Response> => {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    } catch {
      throw new CommandFailure(`cannot reach cutwater local at ${base} — is it running (npm start)? (--address, --data-dir ${dataDir})`);
    }
  };
  return {
    describe: base,
    async create(job) {
      if (!token) throw new CommandFailure(`no API token in ${tokenFile}: give the --data-dir cutwater local uses, or set CUTWATER_API_TOKEN`);
      const response = await reach(`${base}/api/prowjobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(job),
      });
      if (response.status === 401 || response.status === 403) {
        // The token is the one in the data dir: another dir's token is another instance's.
        throw new CommandFailure(`cutwater local at ${base} refused the API token from ${tokenFile} (${response.status}): give the --data-dir that cutwater local uses, or set CUTWATER_API_TOKEN`);
      }
      if (!response.ok) throw new CommandFailure(`cutwater local refused the job: ${response.status} ${(await response.text()).slice(0, 300)}`);
      return response.headers.get(UNSERVED_HEADER) ?? undefined;
    },
    async get(name) {
      const response = await reach(`${base}/api/prowjobs/${encodeURIComponent(name)}`);
      return response.ok ? ProwJobSchema.parse(await response.json()) : undefined;
    },
    async log(job) {
      const response = await reach(`${base}/log?job=${encodeURIComponent(job.spec.job)}&id=${encodeURIComponent(job.status?.build_id ?? '')}`);
      return response.ok ? response.text() : undefined;
    },
    pageOf: (name) => `${base}/view/${encodeURIComponent(name)}`,
    close: async () => undefined,
  };
}

function firestoreTarget(projectId: string): Target {
  const store = openStore({ backend: 'firestore', projectId });
  return {
    describe: `Firestore of project ${projectId}`,
    async create(job) {
      await store.jobs.create(job, { idempotencyKey: `mkpj/${job.metadata.name}` });
      return undefined;
    },
    get: async (name) => (await store.jobs.get(name))?.job,
    // The log is in the artifact bucket once the runner has stored it; mkpj does not read buckets.
    log: async () => undefined,
    pageOf: (name) => (process.env.STATUS_URL ? `${process.env.STATUS_URL.replace(/\/+$/, '')}/view/${name}` : undefined),
    close: () => store.close(),
  };
}

async function follow(target: Target, name: string, io: CommandIO): Promise<ProwJob | undefined> {
  const started = Date.now();
  const tty = Boolean(process.stderr.isTTY);
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
  };
  process.once('SIGINT', onInterrupt);
  let last = '';
  try {
    for (;;) {
      const job = await target.get(name);
      const state = job?.status?.state ?? 'triggered';
      const seconds = Math.round((Date.now() - started) / 1000);
      const line = `${job?.spec.job ?? name}: ${state} ${seconds}s${job?.status?.description ? ` — ${job.status.description}` : ''}`;
      if (tty) process.stderr.write(`\r\u001b[2K${line}`);
      else if (line.replace(/ \d+s/, '') !== last.replace(/ \d+s/, '')) io.stderr(line);
      last = line;
      if (job && isFinalState(state)) {
        if (tty) process.stderr.write('\n');
        return job;
      }
      if (interrupted) {
        if (tty) process.stderr.write('\n');
        io.stderr(`stopped waiting; ${name} keeps running`);
        return undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

export async function mkpjCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { values } = parseFlags(argv, {
    job: { type: 'string' },
    'config-path': { type: 'string' },
    'job-config-path': { type: 'string' },
    'base-ref': { type: 'string' },
    'base-sha': { type: 'string' },
    'pull-number': { type: 'string' },
    'pull-sha': { type: 'string' },
    'pull-author': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    wait: { type: 'boolean', default: false },
    address: { type: 'string' },
    'data-dir': { type: 'string', default: '.cutwater' },
    project: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(MKPJ_USAGE);
    return 0;
  }
  if (!values.job) throw new UsageError('--job is required');
  if (values['dry-run'] && values.wait) throw new UsageError('--dry-run starts nothing, so there is nothing to --wait for');
  const paths: ConfigPaths = values['config-path']
    ? { configPath: values['config-path'], ...(values['job-config-path'] ? { jobConfigPath: values['job-config-path'] } : {}) }
    : demoConfigPaths();
  const config = await loadConfigOrThrow(paths);
  const job = await buildJob(config, values.job, values);
  if (values['dry-run']) {
    io.stdout(stringify(job).trimEnd());
    return 0;
  }
  const project = values.project ?? (values.address ? undefined : process.env.GOOGLE_CLOUD_PROJECT);
  const target = project ? firestoreTarget(project) : localTarget(values.address ?? 'http://127.0.0.1:8080', path.resolve(values['data-dir']));
  try {
    const name = job.metadata.name ?? '';
    const unserved = await target.create(job);
    const page = target.pageOf(name);
    io.stdout(`created ProwJob ${name} (${job.spec.job}) in ${target.describe}${page ? `: ${page}` : ''}`);
    if (unserved) {
      // Waiting would be for ever: nothing here will start it.
      io.stderr(`${unserved}${values.wait ? '; not waiting for it' : ''}`);
      return values.wait ? 1 : 0;
    }
    if (!values.wait) return 0;
    const finished = await follow(target, name, io);
    if (!finished) return 1;
    const log = await target.log(finished);
    if (log) io.stdout(log.trimEnd());
    io.stdout(`${finished.spec.job} ${finished.status?.state}${finished.status?.description ? `: ${finished.status.description}` : ''}`);
    return finished.status?.state === 'success' ? 0 : 1;
  } finally {
    await target.close();
  }
}
