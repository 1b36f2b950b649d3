import { describe, expect, it } from 'vitest';
import type { Config } from '../../../shared/config/model';
import {
  PROW_EVENT_TYPE_ATTRIBUTE,
  PROW_JOB_EVENT_TYPES,
  jobFromProwJobEvent,
  type ProwJobEventKind,
  type ProwJobEventResult,
  type TriggerSource,
} from '../../../shared/pubsub/prow-job-event';
import { ProwJobSchema, type ProwJob } from '../../../shared/prowjob/schema';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';

/**
 * Prow's sub message format → a ProwJob, without I/O: what each event type makes, how the
 * message's envs, labels and annotations land on the job, and the exact refusal for each way a
 * message can be wrong (the publisher only sees that text, on the dead-lettered message).
 */

const NOW = new Date('2025-06-01T08:00:00.000Z');
const NAME = '6f1c1f0e-0000-4000-8000-000000000001';
const BASE_SHA = 'a'.repeat(40);
const PULL_SHA = 'b'.repeat(40);

const JOBS = yaml(`
  periodics:
  - name: nightly
    interval: 24h
    labels: {team: infra, tier: config}
    annotations: {owner: infra-team, note: from-config}
    decorate: true
    spec:
      containers:
      - name: main
        image: alpine
        command: [make, nightly]
        env:
        - {name: MODE, value: config}
        - {name: KEEP, value: kept}
      - name: helper
        image: busybox
        command: [sleep, '60']
  - name: gpu-soak
    interval: 24h
    cluster: gpu
    spec: {containers: [{image: alpine}]}
  presubmits:
    acme/widget:
    - name: unit
      always_run: true
      optional: true
      branches: [main]
      labels: {team: widget}
      spec: {containers: [{image: alpine, command: [make, test]}]}
  postsubmits:
    acme/widget:
    - name: publish
      branches: [main]
      spec: {containers: [{image: alpine, command: [make, publish]}]}
`);

function load(prowConfig = ''): Config {
  return expectLoaded(buildFromFiles({ config: prowConfig, jobs: { 'jobs.yaml': JOBS } }));
}

const CONFIG = load();

function message(kind: ProwJobEventKind | string | undefined, data: unknown): { data: Buffer; attributes: Record<string, string> } {
  const eventType = kind === undefined ? undefined : kind in PROW_JOB_EVENT_TYPES ? PROW_JOB_EVENT_TYPES[kind as ProwJobEventKind] : kind;
  return {
    data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
    attributes: eventType === undefined ? {} : { [PROW_EVENT_TYPE_ATTRIBUTE]: eventType },
  };
}

function run(kind: ProwJobEventKind | string | undefined, data: unknown, config = CONFIG, source?: TriggerSource): ProwJobEventResult {
  return jobFromProwJobEvent(config, message(kind, data), { name: NAME, now: NOW, ...(source ? { source } : {}) });
}

function jobOf(result: ProwJobEventResult): ProwJob {
  if ('error' in result) throw new Error(`refused: ${result.error}`);
  // Whatever the message said, the result must be a ProwJob the store accepts.
  return ProwJobSchema.parse(result.job);
}

function refusalOf(result: ProwJobEventResult): string {
  if (!('error' in result)) throw new Error(`expected a refusal, got job ${result.job.spec.job}`);
  return result.error;
}

interface ContainerEnv {
  name?: string;
  env?: { name: string; value?: string }[];
}

function containersOf(job: ProwJob): ContainerEnv[] {
  return job.spec.pod_spec?.containers as ContainerEnv[];
}

/** Prow's keys asking for the job's states to be published back to the sender. */
const PUBSUB_REPORT_KEYS = {
  project: 'prow.k8s.io/pubsub.project',
  runId: 'prow.k8s.io/pubsub.runID',
  topic: 'prow.k8s.io/pubsub.topic',
} as const;

const PR_REFS = {
  org: 'acme',
  repo: 'widget',
  base_ref: 'main',
  base_sha: BASE_SHA,
  pulls: [{ number: 42, author: 'alice', sha: PULL_SHA }],
};

describe('periodic events', () => {
  it('makes a triggered periodic ProwJob with the given name, started now', () => {
    const job = jobOf(run('periodic', { name: 'nightly' }));
    expect(job.metadata.name).toBe(NAME);
    expect(job.spec).toMatchObject({ type: 'periodic', job: 'nightly', cluster: 'default', report: true });
    expect(job.spec.refs).toBeUndefined();
    expect(job.status).toEqual({ state: 'triggered', startTime: '2025-06-01T08:00:00Z' });
    expect(job.metadata.labels).toMatchObject({
      'created-by-prow': 'true',
      'prow.k8s.io/type': 'periodic',
      'prow.k8s.io/job': 'nightly',
      team: 'infra',
    });
  });

  it("adds envs to every container, replacing same-named entries in place and keeping the config's others", () => {
    const job = jobOf(run('periodic', { name: 'nightly', envs: { MODE: 'message', GIT_BRANCH: 'v1.2' } }));
    const [main, helper] = containersOf(job);
    expect(main?.env).toEqual([
      { name: 'MODE', value: 'message' },
      { name: 'KEEP', value: 'kept' },
      { name: 'GIT_BRANCH', value: 'v1.2' },
    ]);
    expect(helper?.env).toEqual([
      { name: 'MODE', value: 'message' },
      { name: 'GIT_BRANCH', value: 'v1.2' },
    ]);
  });

  it("does not change the config's own job when it adds envs", () => {
    jobOf(run('periodic', { name: 'nightly', envs: { MODE: 'message' } }));
    const configured = CONFIG.periodics.find((job) => job.name === 'nightly');
    expect((configured?.spec?.containers as ContainerEnv[])[0]?.env).toEqual([
      { name: 'MODE', value: 'config' },
      { name: 'KEEP', value: 'kept' },
    ]);
  });

  it("merges labels and annotations over the job's, keeping Prow's pubsub reporting keys where the publisher put them", () => {
    const job = jobOf(
      run('periodic', {
        name: 'nightly',
        labels: { tier: 'message', [PUBSUB_REPORT_KEYS.runId]: 'run-17' },
        annotations: {
          note: 'from-message',
          [PUBSUB_REPORT_KEYS.project]: 'their-project',
          [PUBSUB_REPORT_KEYS.topic]: 'their-results',
        },
      }),
    );
    expect(job.metadata.labels).toMatchObject({ team: 'infra', tier: 'message', [PUBSUB_REPORT_KEYS.runId]: 'run-17' });
    expect(job.metadata.annotations).toEqual({
      'prow.k8s.io/job': 'nightly',
      'prow.k8s.io/context': '',
      owner: 'infra-team',
      note: 'from-message',
      [PUBSUB_REPORT_KEYS.project]: 'their-project',
      [PUBSUB_REPORT_KEYS.topic]: 'their-results',
    });
  });

  it('trims the job name, and ignores refs and unknown fields as Prow does', () => {
    const job = jobOf(run('periodic', { name: '  nightly\n', refs: PR_REFS, extra: 'ignored' }));
    expect(job.spec.job).toBe('nightly');
    expect(job.spec.refs).toBeUndefined();
  });

  it('accepts null for the optional fields', () => {
    const job = jobOf(run('periodic', { name: 'nightly', refs: null, envs: null, labels: null, annotations: null }));
    expect(job.spec.job).toBe('nightly');
  });
});

describe('presubmit events', () => {
  it('makes a presubmit ProwJob for the pull request in refs', () => {
    const job = jobOf(run('presubmit', { name: 'unit', refs: PR_REFS, envs: { EXTRA: '1' } }));
    expect(job.spec).toMatchObject({ type: 'presubmit', job: 'unit', context: 'unit', report: true });
    expect(job.spec.refs).toEqual(PR_REFS);
    expect(job.metadata.labels).toMatchObject({
      'prow.k8s.io/type': 'presubmit',
      'prow.k8s.io/refs.org': 'acme',
      'prow.k8s.io/refs.repo': 'widget',
      'prow.k8s.io/refs.base_ref': 'main',
      'prow.k8s.io/refs.pull': '42',
      'prow.k8s.io/is-optional': 'true',
      team: 'widget',
    });
    expect(containersOf(job)[0]?.env).toEqual([{ name: 'EXTRA', value: '1' }]);
  });

  it("accepts Prow's documented example, a pull with only its SHA, as Prow decodes it", () => {
    const refs = { org: 'acme', repo: 'widget', base_ref: 'main', base_sha: 'abc123', pulls: [{ sha: 'def456' }] };
    const job = jobOf(run('presubmit', { name: 'unit', refs }));
    expect(job.spec.refs?.pulls).toEqual([{ number: 0, author: '', sha: 'def456' }]);
  });
});

describe('postsubmit events', () => {
  it('makes a postsubmit ProwJob for the base commit in refs', () => {
    const refs = { org: 'acme', repo: 'widget', base_ref: 'main', base_sha: BASE_SHA };
    const job = jobOf(run('postsubmit', { name: 'publish', refs }));
    expect(job.spec).toMatchObject({ type: 'postsubmit', job: 'publish', refs });
    expect(job.metadata.labels).toMatchObject({ 'prow.k8s.io/type': 'postsubmit', 'prow.k8s.io/refs.base_ref': 'main' });
    expect(job.metadata.labels?.['prow.k8s.io/refs.pull']).toBeUndefined();
  });
});

describe('refusals', () => {
  const types = `${PROW_JOB_EVENT_TYPES.periodic}, ${PROW_JOB_EVENT_TYPES.presubmit} or ${PROW_JOB_EVENT_TYPES.postsubmit}`;

  it('refuses a message without the event type attribute', () => {
    expect(refusalOf(run(undefined, { name: 'nightly' }))).toBe(
      `the message has no prow.k8s.io/pubsub.EventType attribute: set it to ${types}`,
    );
  });

  it('refuses an unknown event type', () => {
    expect(refusalOf(run('prow.k8s.io/pubsub.BatchProwJobEvent', { name: 'nightly' }))).toBe(
      `unsupported event type "prow.k8s.io/pubsub.BatchProwJobEvent" in attribute prow.k8s.io/pubsub.EventType: expected ${types}`,
    );
  });

  it('refuses data that is not JSON', () => {
    expect(refusalOf(run('periodic', '{"name": nightly'))).toMatch(
      /^the message data is not JSON \(expected Prow's ProwJobEvent\): .+/,
    );
  });

  it('refuses data of the wrong shape, naming every bad field by its path', () => {
    const refusal = refusalOf(
      run('presubmit', { name: 7, envs: { FOO: 1 }, refs: { ...PR_REFS, pulls: [{ number: '42', sha: PULL_SHA }] } }),
    );
    expect(refusal).toMatch(/^the message data is not a valid ProwJobEvent: /);
    expect(refusal).toMatch(/name: [^;]*expected string/);
    expect(refusal).toMatch(/envs\.FOO: [^;]*expected string/);
    expect(refusal).toMatch(/refs\.pulls\[0\]\.number: [^;]*expected number/);
    expect(refusalOf(run('periodic', ['nightly']))).toMatch(/^the message data is not a valid ProwJobEvent: \(the data\): [^;]*expected object/);
  });

  it('refuses an empty name', () => {
    expect(refusalOf(run('periodic', { name: '   ' }))).toBe('the message data has an empty "name": name the job to trigger');
  });

  it('refuses an env var without a name, and says which job it was for', () => {
    const result = run('periodic', { name: 'nightly', envs: { '': 'x' } });
    expect(result).toEqual({ error: 'envs has a variable with an empty name, which no container can have', jobName: 'nightly' });
  });

  it('refuses a periodic that is not configured', () => {
    expect(run('periodic', { name: 'weekly' })).toEqual({ error: 'no periodic named "weekly" in the config', jobName: 'weekly' });
  });

  it('says which event type would find a job configured as another kind', () => {
    expect(refusalOf(run('periodic', { name: 'unit' }))).toBe(
      `no periodic named "unit" in the config ("unit" is a presubmit of acme/widget: send ${PROW_JOB_EVENT_TYPES.presubmit})`,
    );
    expect(refusalOf(run('presubmit', { name: 'nightly', refs: PR_REFS }))).toBe(
      `no presubmit named "nightly" for acme/widget branch "main" ("nightly" is a periodic: send ${PROW_JOB_EVENT_TYPES.periodic})`,
    );
  });

  it('refuses a presubmit or postsubmit without refs, listing what refs need', () => {
    expect(refusalOf(run('presubmit', { name: 'unit' }))).toBe(
      'presubmit event for "unit" has no refs: give org, repo, base_ref, base_sha and at least one pull',
    );
    expect(refusalOf(run('postsubmit', { name: 'publish' }))).toBe(
      'postsubmit event for "publish" has no refs: give org, repo, base_ref and base_sha',
    );
  });

  it('refuses incomplete refs, naming every missing field at once', () => {
    expect(refusalOf(run('presubmit', { name: 'unit', refs: { org: 'acme', repo: 'widget', base_ref: 'main' } }))).toBe(
      'presubmit event for "unit" lacks refs.base_sha, refs.pulls: give org, repo, base_ref, base_sha and at least one pull',
    );
    expect(refusalOf(run('postsubmit', { name: 'publish', refs: { repo: 'widget', base_sha: BASE_SHA } }))).toBe(
      'postsubmit event for "publish" lacks refs.org, refs.base_ref: give org, repo, base_ref and base_sha',
    );
  });

  it('refuses a presubmit or postsubmit the repository does not have', () => {
    expect(refusalOf(run('presubmit', { name: 'integration', refs: PR_REFS }))).toBe(
      'no presubmit named "integration" for acme/widget branch "main"',
    );
    const other = { org: 'acme', repo: 'gadget', base_ref: 'main', base_sha: BASE_SHA };
    expect(refusalOf(run('postsubmit', { name: 'publish', refs: other }))).toBe(
      'no postsubmit named "publish" for acme/gadget branch "main"',
    );
  });

  it('refuses a name that two jobs of the repository share for the branch, as Prow does', () => {
    // The loader refuses such a config; a config from elsewhere might still hold one.
    const unit = CONFIG.presubmits.get('acme/widget')!;
    const doubled: Config = { ...CONFIG, presubmits: new Map([['acme/widget', [...unit, ...unit]]]) };
    expect(refusalOf(run('presubmit', { name: 'unit', refs: PR_REFS }, doubled))).toBe(
      'presubmit "unit" matches 2 jobs of acme/widget for branch "main"; Prow requires one, so make their branches exclusive',
    );
  });

  it('refuses a job whose branches exclude the base branch', () => {
    expect(refusalOf(run('presubmit', { name: 'unit', refs: { ...PR_REFS, base_ref: 'release-1.0' } }))).toBe(
      'no presubmit named "unit" for acme/widget branch "release-1.0" (acme/widget has one, but its branches/skip_branches exclude "release-1.0")',
    );
  });
});

describe('pubsub_triggers allowed_clusters', () => {
  const cloud: TriggerSource = { project: 'ci-project', subscription: 'pubsub', topic: 'prow-jobs' };

  it('allows every cluster when the config sets neither pubsub_triggers nor pubsub_subscriptions', () => {
    expect(jobOf(run('periodic', { name: 'gpu-soak' }, CONFIG, cloud)).spec.cluster).toBe('gpu');
  });

  it("refuses a job in a cluster the matching entry does not allow, and allows the entry's clusters", () => {
    const config = load(
      yaml(`
        pubsub_triggers:
        - project: ci-project
          topics: [pubsub]
          allowed_clusters: [default]
      `),
    );
    expect(run('periodic', { name: 'gpu-soak' }, config, cloud)).toEqual({
      error:
        'periodic "gpu-soak" runs in cluster "gpu", which pubsub_triggers does not allow for subscription "pubsub" (topic "prow-jobs") in project "ci-project" (allowed: "default"): add it under pubsub_triggers -> allowed_clusters',
      jobName: 'gpu-soak',
    });
    expect(jobOf(run('periodic', { name: 'nightly' }, config, cloud)).spec.cluster).toBe('default');
  });

  it('allows any cluster through an entry with "*", found by topic name too', () => {
    const config = load(
      yaml(`
        pubsub_triggers:
        - project: ci-project
          topics: [prow-jobs]
          allowed_clusters: ['*']
      `),
    );
    expect(jobOf(run('periodic', { name: 'gpu-soak' }, config, cloud)).spec.cluster).toBe('gpu');
  });

  it('refuses everything, failing closed, when no entry names this subscription in this project', () => {
    const config = load(
      yaml(`
        pubsub_triggers:
        - project: other-project
          topics: [pubsub]
          allowed_clusters: ['*']
      `),
    );
    expect(refusalOf(run('periodic', { name: 'nightly' }, config, cloud))).toBe(
      'pubsub_triggers has no entry for subscription "pubsub" (topic "prow-jobs") in project "ci-project", so no cluster is allowed for Pub/Sub-triggered jobs: add one whose topics name "pubsub" and whose allowed_clusters include "default"',
    );
    // Local mode has no project: entries match on their topics alone.
    expect(jobOf(run('periodic', { name: 'nightly' }, config, { subscription: 'pubsub', topic: 'prow-jobs' })).spec.job).toBe(
      'nightly',
    );
  });

  it('refuses everything when the entry lists no clusters, as Prow does', () => {
    const config = load(
      yaml(`
        pubsub_triggers:
        - project: ci-project
          topics: [pubsub]
      `),
    );
    expect(refusalOf(run('periodic', { name: 'nightly' }, config, cloud))).toMatch(/\(allowed: none\)/);
  });

  it('allows every cluster through pubsub_subscriptions, as Prow defaults it', () => {
    const config = load(
      yaml(`
        pubsub_subscriptions:
          ci-project: [pubsub]
      `),
    );
    expect(jobOf(run('periodic', { name: 'gpu-soak' }, config, cloud)).spec.cluster).toBe('gpu');
  });

  it('refuses when a pubsub_triggers entry is malformed', () => {
    const config = load(
      yaml(`
        pubsub_triggers:
        - project: ci-project
          topics: pubsub
          allowed_clusters: ['*']
      `),
    );
    expect(refusalOf(run('periodic', { name: 'nightly' }, config, cloud))).toMatch(
      /^pubsub_triggers\[0\] in the Prow config is malformed \(topics: [^)]*expected array[^)]*\), so no cluster is allowed$/,
    );
  });
});
