import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DiskArtifactStore } from '../../shared/artifacts/disk';
import type { Config, Periodic, Postsubmit, Presubmit } from '../../shared/config/model';
import { createLogger } from '../../shared/log/logger';
import { newPeriodicJob, newPostsubmitJob, newPresubmitJob, refsForPullRequest } from '../../shared/jobs/factory';
import type { ProwJob, ProwJobState, ProwJobStatus } from '../../shared/prowjob/schema';
import { staticConfigSource } from '../../shared/config/config-source';
import { createCsrfGuard } from '../../shared/status/auth/csrf';
import { createSessionCodec } from '../../shared/status/auth/session';
import { statusListener } from '../../shared/status/http';
import { EmbeddedStore } from '../../shared/store/embedded';
import { FirestoreStore } from '../../shared/store/firestore';
import { kubernetesTime } from '../../shared/prowjob/time';
import type { Store } from '../../shared/store/store';
import { buildFromFiles, expectLoaded } from '../support/config';
import { startFirestoreEmulator } from '../support/emulators';

/**
 * The status pages' job list with a production-sized store behind it: server time (from the
 * request arriving to the last byte handed to the socket, so HTML/JSON serialisation counts) and
 * payload size of each list request, over real HTTP on loopback, with 100,000 ProwJobs in the
 * embedded store — then the same requests against the Firestore emulator with fewer jobs.
 *
 * The jobs come from the real ProwJob factory over a generated config (20 repos, ~50 jobs, 5
 * clusters), for 2,000 PRs by 300 authors over 30 days, so their specs, labels and sizes are what
 * trigger would store. Each is created already in its final state (a job's status is the creator's
 * to give): one `create` per job through the public API, rather than three writes walking the
 * lifecycle, which would triple the load and change nothing the list reads.
 */

const EMBEDDED_JOBS = 100_000;
const EMULATOR_JOBS = 5_000;
const RUNS = 40;
const EMULATOR_RUNS = 30;
const WARM_UP = 3;
/** Creates in flight at once: the embedded journal and Firestore both batch concurrent writes. */
const CREATE_CONCURRENCY = 200;
const DAY_MS = 24 * 3600_000;

const CLUSTERS = ['default', 'build-01', 'build-02', 'build-03', 'gpu'] as const;
const ORGS = ['acme', 'globex', 'initech'] as const;
const REPO_NAMES = [
  'widgets', 'gadgets', 'api', 'web', 'infra', 'docs', 'cli', 'sdk-go', 'sdk-python', 'operator',
  'charts', 'console', 'billing', 'search', 'auth', 'mobile', 'data-pipeline', 'release', 'proto', 'website',
] as const;
const PRESUBMIT_KINDS = ['unit', 'e2e', 'lint', 'integration', 'build'] as const;
const PERIODICS = ['ci-nightly-e2e', 'ci-conformance', 'ci-cleanup-resources', 'ci-scale-test', 'ci-image-scan'] as const;
/** The rare job: exactly RARE_RUNS runs among all the others. */
const RARE_JOB = 'ci-release-audit';
const RARE_RUNS = 10;
const TITLE_WORDS = ['Fix', 'flaky', 'cache', 'widget', 'handler', 'timeout', 'retry', 'upgrade', 'deps', 'refactor', 'metrics', 'docs', 'config', 'parser', 'leak'] as const;

/** Deterministic, so every run benchmarks the same store. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index into `weights` drawn in proportion to them. */
function weighted(random: () => number, cumulative: readonly number[]): number {
  const target = random() * (cumulative.at(-1) ?? 0);
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((cumulative[mid] ?? 0) < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

function cumulativeZipf(count: number, exponent: number): number[] {
  const sums: number[] = [];
  let total = 0;
  for (let rank = 0; rank < count; rank++) sums.push((total += 1 / (rank + 1) ** exponent));
  return sums;
}

const POD_SPEC = (image: string, command: string[]) => ({
  containers: [
    {
      image,
      command,
      args: ['--junit-dir=$(ARTIFACTS)', '--race'],
      env: [
        { name: 'GOFLAGS', value: '-mod=vendor' },
        { name: 'GOPROXY', value: 'https://proxy.golang.org' },
      ],
      resources: { requests: { cpu: '4', memory: '8Gi' }, limits: { cpu: '8', memory: '16Gi' } },
    },
  ],
});

const REPOS = REPO_NAMES.map((name, index) => `${ORGS[index % ORGS.length]}/${name}`);

/** 36 presubmits (two on each of the first 16 repos, one on the rest), 8 postsubmits, 6 periodics. */
function benchConfig(): Config {
  let clusterIndex = 0;
  const nextCluster = () => CLUSTERS[clusterIndex++ % CLUSTERS.length];
  const presubmits: Record<string, unknown[]> = {};
  const postsubmits: Record<string, unknown[]> = {};
  REPOS.forEach((repo, index) => {
    const short = repo.split('/')[1] ?? repo;
    const kinds = PRESUBMIT_KINDS.slice(index % 3, (index % 3) + (index < 16 ? 2 : 1));
    presubmits[repo] = kinds.map((kind) => ({
      name: `pull-${short}-${kind}`,
      cluster: nextCluster(),
      always_run: true,
      decorate: true,
      decoration_config: { timeout: '2h' },
      labels: { 'preset-service-account': 'true' },
      spec: POD_SPEC('golang:1.23', ['make', kind]),
    }));
    if (index < 8) {
      postsubmits[repo] = [
        {
          name: `post-${short}-push-images`,
          cluster: nextCluster(),
          branches: ['main'],
          decorate: true,
          spec: POD_SPEC('gcr.io/k8s-staging-test-infra/image-builder:v20250301', ['./push.sh']),
        },
      ];
    }
  });
  const periodics = [...PERIODICS, RARE_JOB].map((name, index) => ({
    name,
    cluster: nextCluster(),
    interval: '6h',
    decorate: true,
    extra_refs: [{ org: 'acme', repo: REPO_NAMES[index] ?? 'widgets', base_ref: 'main' }],
    spec: POD_SPEC('gcr.io/k8s-staging-test-infra/kubekins-e2e:v20250301', ['runner.sh', 'e2e']),
  }));
  const prowConfig = {
    prowjob_namespace: 'prow-jobs',
    pod_namespace: 'test-pods',
    plank: {
      default_decoration_config_entries: [
        {
          config: {
            timeout: '2h',
            grace_period: '15m',
            gcs_credentials_secret: 'gcs-credentials',
            utility_images: {
              clonerefs: 'us-docker.pkg.dev/k8s-infra-prow/images/clonerefs:v20250301',
              initupload: 'us-docker.pkg.dev/k8s-infra-prow/images/initupload:v20250301',
              entrypoint: 'us-docker.pkg.dev/k8s-infra-prow/images/entrypoint:v20250301',
              sidecar: 'us-docker.pkg.dev/k8s-infra-prow/images/sidecar:v20250301',
            },
            gcs_configuration: { bucket: 'cutwater-logs', path_strategy: 'explicit' },
          },
        },
      ],
    },
  };
  // JSON is YAML: the generated config goes through the same loader as a real one.
  return expectLoaded(
    buildFromFiles({ config: JSON.stringify(prowConfig), jobs: { 'jobs.yaml': JSON.stringify({ presubmits, postsubmits, periodics }) } }),
  );
}

interface PullRequest {
  repo: string;
  number: number;
  author: string;
  title: string;
  commit: number;
}

interface GeneratedJob {
  job: ProwJob;
  createdAt: number;
}

/** What the generated store holds, for choosing the filters worth asking. */
interface Corpus {
  jobsByName: Map<string, number>;
  runsByRepoState: Map<string, number>;
  runsByAuthor: Map<string, number>;
  runsByPull: Map<PullRequest, number>;
}

function shaOf(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/**
 * `count` ProwJobs, oldest first, over the 30 days before `end`: 86% presubmits (each PR is busy
 * for a while, pushes new commits, gets /retests), 8% postsubmits, 6% periodics. Finished jobs are
 * 85% success, 10% failure, 3% aborted, 2% error; the newest 0.4% are still pending or triggered.
 */
function* generateJobs(config: Config, count: number, end: number, corpus: Corpus): Generator<GeneratedJob> {
  const random = mulberry32(20250301);
  const start = end - 30 * DAY_MS;
  const authors = Array.from({ length: 300 }, (_, index) => `dev-${index.toString().padStart(3, '0')}`);
  const authorWeights = cumulativeZipf(authors.length, 1);
  const repoWeights = cumulativeZipf(REPOS.length, 0.8);
  const pulls: PullRequest[] = Array.from({ length: 2_000 }, (_, index) => {
    const repo = REPOS[weighted(random, repoWeights)] ?? 'acme/widgets';
    const words = Array.from({ length: 4 }, () => TITLE_WORDS[Math.floor(random() * TITLE_WORDS.length)]);
    return { repo, number: 1000 + index, author: authors[weighted(random, authorWeights)] ?? 'dev-000', title: words.join(' '), commit: 0 };
  });
  const postsubmitRepos = [...config.postsubmits.keys()];
  const periodics = config.periodics.filter((periodic) => periodic.name !== RARE_JOB);
  const rare = config.periodics.find((periodic) => periodic.name === RARE_JOB);
  const rareEvery = Math.floor(count / RARE_RUNS);

  for (let index = 0; index < count; index++) {
    const createdAt = Math.floor(start + ((end - start) * index) / count);
    const now = new Date(createdAt);
    const name = randomUUID();
    let job: ProwJob;
    let pull: PullRequest | undefined;
    const kind = random();
    if (rare && index % rareEvery === Math.floor(rareEvery / 2)) {
      job = newPeriodicJob(rare, { name, now, config });
    } else if (kind < 0.86) {
      // PRs are opened in order over the month and each is worked on for a while around its turn.
      const window = 120;
      const centre = window / 2 + Math.floor((index / count) * (pulls.length - window));
      const at = centre + Math.floor((random() - 0.5) * window);
      pull = pulls[at] as PullRequest;
      if (random() < 0.25) pull.commit++;
      const presubmit = pickOne(random, config.presubmits.get(pull.repo) ?? []) as Presubmit;
      const [org = '', repo = ''] = pull.repo.split('/');
      const refs = refsForPullRequest(
        {
          number: pull.number,
          title: pull.title,
          html_url: `https://github.com/${pull.repo}/pull/${pull.number}`,
          user: { login: pull.author },
          head: { ref: `topic-${pull.number}`, sha: shaOf(`${pull.repo}#${pull.number}@${pull.commit}`) },
          base: { ref: 'main', repo: { name: repo, owner: { login: org } } },
        },
        shaOf(`main@${Math.floor(index / 50)}`),
      );
      job = newPresubmitJob(presubmit, refs, { name, now, config, eventGuid: randomUUID() });
    } else if (kind < 0.94) {
      const repo = pickOne(random, postsubmitRepos) as string;
      const postsubmit = (config.postsubmits.get(repo) ?? [])[0] as Postsubmit;
      const [org = '', short = ''] = repo.split('/');
      const sha = shaOf(`${repo}@${index}`);
      job = newPostsubmitJob(
        postsubmit,
        { org, repo: short, base_ref: 'main', base_sha: sha, repo_link: `https://github.com/${repo}`, base_link: `https://github.com/${repo}/commit/${sha}` },
        { name, now, config },
      );
    } else {
      job = newPeriodicJob(pickOne(random, periodics) as Periodic, { name, now, config });
    }

    const state: ProwJobState =
      index >= count - Math.ceil(count * 0.004)
        ? random() < 0.75
          ? 'pending'
          : 'triggered'
        : ((['success', 'failure', 'aborted', 'error'] as const)[weighted(random, [85, 95, 98, 100])] ?? 'success');
    job.status = statusFor(job, state, createdAt, index, random);

    const refs = job.spec.refs ?? job.spec.extra_refs?.[0];
    const repoKey = refs ? `${refs.org}/${refs.repo}` : '';
    corpus.jobsByName.set(job.spec.job, (corpus.jobsByName.get(job.spec.job) ?? 0) + 1);
    corpus.runsByRepoState.set(`${repoKey} ${state}`, (corpus.runsByRepoState.get(`${repoKey} ${state}`) ?? 0) + 1);
    if (pull) {
      corpus.runsByAuthor.set(pull.author, (corpus.runsByAuthor.get(pull.author) ?? 0) + 1);
      corpus.runsByPull.set(pull, (corpus.runsByPull.get(pull) ?? 0) + 1);
    }
    yield { job, createdAt };
  }
}

function pickOne<T>(random: () => number, items: readonly T[]): T | undefined {
  return items[Math.floor(random() * items.length)];
}

const DESCRIPTIONS: Record<ProwJobState, string> = {
  success: 'Job succeeded.',
  failure: 'Job failed.',
  aborted: 'Job aborted.',
  error: 'Pod got deleted unexpectedly',
  pending: 'Job triggered.',
  triggered: 'Job triggered.',
  scheduling: 'Job scheduled.',
};

function statusFor(job: ProwJob, state: ProwJobState, createdAt: number, index: number, random: () => number): ProwJobStatus {
  const status: ProwJobStatus = { state, startTime: kubernetesTime(createdAt), description: DESCRIPTIONS[state] };
  if (state === 'triggered') return status;
  const buildId = (1_790_000_000_000_000_000n + BigInt(index) * 1_000n).toString();
  const pull = job.spec.refs?.pulls?.[0];
  const refs = job.spec.refs ?? job.spec.extra_refs?.[0];
  const where = pull && refs ? `pr-logs/pull/${refs.org}_${refs.repo}/${pull.number}` : 'logs';
  Object.assign(status, {
    pendingTime: kubernetesTime(createdAt + 5_000 + Math.floor(random() * 60_000)),
    pod_name: job.metadata.name,
    build_id: buildId,
    url: `https://prow.example.com/view/gs/cutwater-logs/${where}/${job.spec.job}/${buildId}`,
  });
  if (state !== 'pending') status.completionTime = kubernetesTime(createdAt + 120_000 + Math.floor(random() * 40 * 60_000));
  return status;
}

/** Creates the jobs with the store's clock at each job's creation time, CREATE_CONCURRENCY at a time. */
async function load(store: Store, jobs: Iterable<GeneratedJob>, clock: { at: number | undefined }): Promise<number> {
  let created = 0;
  let batch: Promise<unknown>[] = [];
  for (const { job, createdAt } of jobs) {
    // `create` reads the clock synchronously, so each job gets its own creation time.
    clock.at = createdAt;
    batch.push(store.jobs.create(job, { idempotencyKey: `bench/${job.metadata.name ?? ''}` }));
    created++;
    if (batch.length === CREATE_CONCURRENCY) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  clock.at = undefined;
  return created;
}

interface Probe {
  label: string;
  /** A path, or a function finding it (e.g. by following pages); undefined result: not served. */
  path: string | ((get: Fetcher) => Promise<string | undefined>);
}

type Fetcher = (path: string) => Promise<{ status: number; body: Buffer; headers: Headers; serverMs: number }>;

function probes(corpus: Corpus): Probe[] {
  const top = <K>(counts: Map<K, number>, filter: (key: K) => boolean = () => true): [K, number] => {
    let best: [K, number] | undefined;
    for (const entry of counts) if (filter(entry[0]) && (!best || entry[1] > best[1])) best = entry;
    if (!best) throw new Error('bench bug: empty corpus');
    return best;
  };
  const [job, jobRuns] = top(corpus.jobsByName, (name) => name.startsWith('pull-'));
  const [repoState, repoStateRuns] = top(corpus.runsByRepoState, (key) => key.endsWith(' failure'));
  const [repo = ''] = repoState.split(' ');
  const [author, authorRuns] = top(corpus.runsByAuthor);
  const [pull, pullRuns] = top(corpus.runsByPull);
  // An author with a handful of runs: free text that matches little, so the scan runs to its budget.
  const [rareAuthor] = [...corpus.runsByAuthor].sort((a, b) => a[1] - b[1])[0] ?? ['dev-299'];
  const [org = '', repoName = ''] = pull.repo.split('/');
  const q = (params: Record<string, string>) => `/?${new URLSearchParams(params).toString()}`;
  return [
    { label: '`/` first page (default size)', path: '/' },
    { label: `\`/\` job (${runCount(jobRuns)})`, path: q({ job }) },
    { label: `\`/\` repo + state=failure (${runCount(repoStateRuns)})`, path: q({ repo, state: 'failure' }) },
    { label: `\`/\` author (${runCount(authorRuns)})`, path: q({ author }) },
    { label: `\`/\` rare job (${runCount(corpus.jobsByName.get(RARE_JOB) ?? 0)})`, path: q({ job: RARE_JOB }) },
    { label: '`/` page 11 (after following 10 cursors)', path: (get) => followNext(get, '/', 10) },
    { label: '`/?text=` common words (“flaky cache”)', path: q({ text: 'flaky cache' }) },
    { label: `\`/?text=\` rare (an author with ${runCount(corpus.runsByAuthor.get(rareAuthor) ?? 0)})`, path: q({ text: rareAuthor }) },
    { label: '`/prowjobs.js` (default limit)', path: '/prowjobs.js' },
    { label: '`/prowjobs.js?omit=pod_spec,decoration_config&limit=100`', path: '/prowjobs.js?omit=pod_spec,decoration_config&limit=100' },
    { label: `\`/job-history/<job>\` (${runCount(jobRuns)})`, path: `/job-history/${encodeURIComponent(job)}` },
    { label: `\`/pr-history\` (busiest PR, ${runCount(pullRuns)})`, path: `/pr-history?${new URLSearchParams({ org, repo: repoName, pr: String(pull.number) }).toString()}` },
  ];
}

/** The page reached by following `hops` "next" links (or X-Next-Cursor headers) from `start`. */
async function followNext(get: Fetcher, start: string, hops: number): Promise<string | undefined> {
  let at = start;
  for (let hop = 0; hop < hops; hop++) {
    const { body, headers } = await get(at);
    const next = nextLink(body.toString('utf8'), headers, at);
    if (!next) return undefined;
    at = next;
  }
  return at;
}

function nextLink(html: string, headers: Headers, current: string): string | undefined {
  const anchor = /<a\b[^>]*\brel="next"[^>]*>/.exec(html)?.[0];
  const href = anchor && /\bhref="([^"]*)"/.exec(anchor)?.[1];
  if (href) return href.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');
  const cursor = headers.get('x-next-cursor');
  if (!cursor) return undefined;
  const url = new URL(current, 'http://localhost');
  url.searchParams.set('cursor', cursor);
  return `${url.pathname}${url.search}`;
}

/** Rows a response shows: table rows with a state cell in HTML, `items` in JSON. */
function rowsIn(body: Buffer, contentType: string): number | undefined {
  const text = body.toString('utf8');
  if (contentType.includes('json') || contentType.includes('javascript')) {
    try {
      const parsed = JSON.parse(text) as { items?: unknown[] };
      return parsed.items?.length;
    } catch {
      return undefined;
    }
  }
  return (text.match(/<td class="(?:state )?state-[a-z]+"/g) ?? []).length;
}

function runCount(count: number): string {
  return `${count.toLocaleString('en')} run${count === 1 ? '' : 's'}`;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Serves the status routes over loopback, timing each response on the server side. */
async function serveStatus(store: Store, config: Config, artifactsDir: string): Promise<{ get: Fetcher; close: () => Promise<void> }> {
  // Signed out, as most visitors are: each page still gets a CSRF token for its forms.
  const secrets = ['bench-session-secret-0123456789abcdef0123456789'];
  const sessions = createSessionCodec(secrets);
  const status = statusListener({
    store,
    artifacts: new DiskArtifactStore(artifactsDir),
    log: createLogger({ sink: () => undefined }),
    config: staticConfigSource(config),
    auth: { sessions, csrf: createCsrfGuard(secrets, { sessions }) },
  });
  let timing: Promise<number> = Promise.resolve(Number.NaN);
  const server: Server = createServer((request, response) => {
    const started = performance.now();
    timing = new Promise((resolve) => response.once('finish', () => resolve(performance.now() - started)));
    status(request, response)
      .then((served) => {
        if (!served) response.writeHead(404).end();
      })
      .catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end((error as Error).message);
      });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get: Fetcher = async (requestPath) => {
    const response = await fetch(`${base}${requestPath}`);
    const body = Buffer.from(await response.arrayBuffer());
    return { status: response.status, body, headers: response.headers, serverMs: await timing };
  };
  return {
    get,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * One table row per probe. `reads`, when given, counts the store's document reads (Firestore's
 * billing unit): the row then says how many one request of that kind costs.
 */
async function measureProbes(store: Store, config: Config, corpus: Corpus, runs: number, reads?: () => number): Promise<string[]> {
  const artifactsDir = mkdtempSync(path.join(tmpdir(), 'cutwater-bench-artifacts-'));
  const { get, close } = await serveStatus(store, config, artifactsDir);
  const rows: string[] = [];
  try {
    for (const probe of probes(corpus)) {
      const target = typeof probe.path === 'string' ? probe.path : await probe.path(get);
      if (target === undefined) {
        rows.push(`| ${probe.label} | n/a (no next-page link) | | | | | |${reads ? ' |' : ''}`);
        continue;
      }
      const readsBefore = reads?.();
      const first = await get(target);
      const readsOne = reads && readsBefore !== undefined ? ` ${reads() - readsBefore} |` : '';
      if (first.status !== 200) {
        const error = first.status >= 500 ? `: ${first.body.toString('utf8').slice(0, 80)}` : '';
        rows.push(`| ${probe.label} | n/a (${first.status}${error}) | | | | | |${reads ? ' |' : ''}`);
        continue;
      }
      for (let warm = 1; warm < WARM_UP; warm++) await get(target);
      const samples: number[] = [];
      for (let run = 0; run < runs; run++) samples.push((await get(target)).serverMs);
      samples.sort((a, b) => a - b);
      const rowCount = rowsIn(first.body, first.headers.get('content-type') ?? '');
      rows.push(
        `| ${probe.label} | ${rowCount ?? '?'} | ${percentile(samples, 50).toFixed(1)} | ${percentile(samples, 95).toFixed(1)} | ${kib(first.body.length)} | ${kib(gzipSync(first.body).length)} | ${runs} |${readsOne}`,
      );
    }
  } finally {
    await close();
    rmSync(artifactsDir, { recursive: true, force: true });
  }
  return rows;
}

const TABLE_HEAD = ['| request | rows | median ms | p95 ms | bytes | gzip | runs |', '|---|---:|---:|---:|---:|---:|---:|'];
const TABLE_HEAD_WITH_READS = [`${TABLE_HEAD[0] ?? ''} doc reads |`, `${TABLE_HEAD[1] ?? ''}---:|`];

function newCorpus(): Corpus {
  return { jobsByName: new Map(), runsByRepoState: new Map(), runsByAuthor: new Map(), runsByPull: new Map() };
}

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function collectGarbage(): void {
  // `npm run bench` runs node with --expose-gc, so memory figures are of live data only.
  (globalThis as { gc?: () => void }).gc?.();
}

export async function benchStatus(): Promise<string> {
  const config = benchConfig();
  const sections: string[] = [];

  // Embedded store, memory only: what `cutwater local` serves from once its journal is replayed.
  {
    const clock: { at: number | undefined } = { at: undefined };
    const store = EmbeddedStore.open({ now: () => clock.at ?? Date.now() });
    const corpus = newCorpus();
    collectGarbage();
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    await load(store, generateJobs(config, EMBEDDED_JOBS, Date.now(), corpus), clock);
    const loadSeconds = (performance.now() - started) / 1000;
    collectGarbage();
    const memory = process.memoryUsage();
    const rows = await measureProbes(store, config, corpus, RUNS);
    await store.close();
    sections.push(
      [
        `### Status job list, embedded store with ${EMBEDDED_JOBS.toLocaleString('en')} jobs (server time per request over loopback HTTP; median of ${RUNS} after ${WARM_UP} warm-up)`,
        '',
        ...TABLE_HEAD,
        ...rows,
        '',
        `Loading ${EMBEDDED_JOBS.toLocaleString('en')} jobs (generated by the ProwJob factory, one \`create\` each, ${CREATE_CONCURRENCY} in flight, memory-only store): ` +
          `${loadSeconds.toFixed(1)} s (${(EMBEDDED_JOBS / loadSeconds).toFixed(0)} jobs/s). ` +
          `Afterwards RSS ${megabytes(memory.rss)} (+${megabytes(memory.rss - rssBefore)}), heap used ${megabytes(memory.heapUsed)}.`,
        '“gzip” is the body through zlib at its default level: about what a browser transfers if the server compresses.',
      ].join('\n'),
    );
  }

  sections.push(await journalReplay(config));
  sections.push(await emulatorRun(config));
  return sections.join('\n\n');
}

/** Local mode's cost of keeping 100k jobs: writing them to the journal and replaying it on start. */
async function journalReplay(config: Config): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-bench-journal-'));
  try {
    const clock: { at: number | undefined } = { at: undefined };
    const now = () => clock.at ?? Date.now();
    const store = EmbeddedStore.open({ dataDir: dir, now });
    let started = performance.now();
    await load(store, generateJobs(config, EMBEDDED_JOBS, Date.now(), newCorpus()), clock);
    const loadSeconds = (performance.now() - started) / 1000;
    await store.close();
    collectGarbage();
    started = performance.now();
    const reopened = EmbeddedStore.open({ dataDir: dir, now });
    const replaySeconds = (performance.now() - started) / 1000;
    const count = (await reopened.jobs.list({}, { limit: 1 })).jobs.length;
    await reopened.close();
    return [
      `### Embedded store on disk with ${EMBEDDED_JOBS.toLocaleString('en')} jobs (journal, fsync per group of writes)`,
      '',
      '| step | seconds |',
      '|---|---:|',
      `| create ${EMBEDDED_JOBS.toLocaleString('en')} jobs, ${CREATE_CONCURRENCY} in flight | ${loadSeconds.toFixed(1)} |`,
      `| reopen: replay the journal (what \`cutwater local\` does at start)${count === 1 ? '' : ' — NO JOBS AFTER REPLAY'} | ${replaySeconds.toFixed(1)} |`,
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function emulatorRun(config: Config): Promise<string> {
  const emulator = await startFirestoreEmulator('cutwater-bench');
  try {
    const clock: { at: number | undefined } = { at: undefined };
    const store = FirestoreStore.connect({ projectId: 'bench-status', emulatorHost: emulator.host, now: () => clock.at ?? Date.now() });
    const corpus = newCorpus();
    const started = performance.now();
    await load(store, generateJobs(config, EMULATOR_JOBS, Date.now(), corpus), clock);
    const loadSeconds = (performance.now() - started) / 1000;
    const rows = await measureProbes(store, config, corpus, EMULATOR_RUNS, () => store.counts.reads);
    await store.close();
    return [
      `### Status job list on the Firestore **emulator** with ${EMULATOR_JOBS.toLocaleString('en')} jobs (median of ${EMULATOR_RUNS}; the emulator is not a model of Firestore’s performance — compare shapes, not milliseconds)`,
      '',
      ...TABLE_HEAD_WITH_READS,
      ...rows,
      '',
      '“doc reads” is what one such request reads from the store, as Firestore would bill it.',
      `Loading ${EMULATOR_JOBS.toLocaleString('en')} jobs into the emulator: ${loadSeconds.toFixed(1)} s.`,
    ].join('\n');
  } finally {
    await emulator.stop();
  }
}
