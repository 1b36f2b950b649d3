import { describe, expect, it } from 'vitest';
import type { Config } from '../../../shared/config/model';
import {
  DEFAULT_TENANT_ID,
  isValidLabelValue,
  labelsAndAnnotationsForSpec,
  newBatchJob,
  newPeriodicJob,
  newPostsubmitJob,
  newPresubmitJob,
  refsForPullRequest,
  truncateLabelValue,
} from '../../../shared/jobs/factory';
import { ProwJobSchema, type Refs } from '../../../shared/prowjob/schema';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';

/**
 * ProwJobs made from configured jobs must look like Prow's (pkg/pjutil NewProwJob and the *Spec
 * helpers): same labels, annotations and spec fields, so anything that reads Prow's ProwJobs
 * reads ours.
 */

const NOW = new Date('2025-03-01T12:34:56.789Z');

function load(jobs: string, prowConfig = ''): Config {
  return expectLoaded(buildFromFiles({ config: prowConfig, jobs: { 'jobs.yaml': jobs } }));
}

const CONFIG = load(
  yaml(`
    presubmits:
      acme/widgets:
      - name: unit
        always_run: true
        labels: {team: widgets}
        annotations: {testgrid-dashboards: widgets}
        max_concurrency: 3
        path_alias: example.com/widgets
        clone_depth: 5
        spec: {containers: [{image: alpine}]}
      - name: lint
        optional: true
        skip_report: true
        context: ci/lint
        rerun_command: /test lint
        trigger: '(?m)^/test lint'
        decorate: true
        decoration_config:
          timeout: 1h
          blobless_fetch: true
          sparse_checkout_files: [go.mod]
        reporter_config:
          slack: {channel: ci, job_states_to_report: []}
        rerun_auth_config: {github_users: [alice]}
        hidden: true
        spec: {containers: [{image: alpine, command: [make, lint]}]}
      - name: pull-widget-a-very-long-job-name-that-goes-past-the-kubernetes-label-limit-of-63
        spec: {containers: [{image: alpine}]}
    postsubmits:
      acme/widgets:
      - name: publish
        labels: {stage: publish}
        spec: {containers: [{image: alpine}]}
    periodics:
    - name: nightly
      interval: 24h
      extra_refs: [{org: acme, repo: widgets, base_ref: main}]
      reporter_config: {slack: {channel: nightly}}
      spec: {containers: [{image: alpine}]}
  `),
  yaml(`
    pod_namespace: test-pods
    prowjob_namespace: prow-jobs
    prowjob_default_entries:
    - repo: acme
      config: {tenant_id: acme-tenant}
  `),
);

function presubmitNamed(name: string) {
  const job = CONFIG.presubmits.get('acme/widgets')?.find((candidate) => candidate.name === name);
  if (!job) throw new Error(`test bug: no presubmit ${name}`);
  return job;
}

const PR = {
  number: 42,
  title: 'Make widgets faster',
  html_url: 'https://github.com/acme/widgets/pull/42',
  user: { login: 'alice' },
  head: { ref: 'faster', sha: 'f'.repeat(40) },
  base: { ref: 'main', repo: { name: 'widgets', owner: { login: 'acme' } } },
};
const PR_REFS = refsForPullRequest(PR, 'b'.repeat(40));

describe('refs for a pull request', () => {
  it('records the base, the pull and the links Prow records', () => {
    expect(PR_REFS).toEqual({
      org: 'acme',
      repo: 'widgets',
      repo_link: 'https://github.com/acme/widgets',
      base_ref: 'main',
      base_sha: 'b'.repeat(40),
      base_link: `https://github.com/acme/widgets/commit/${'b'.repeat(40)}`,
      pulls: [
        {
          number: 42,
          author: 'alice',
          sha: 'f'.repeat(40),
          head_ref: 'faster',
          title: 'Make widgets faster',
          link: 'https://github.com/acme/widgets/pull/42',
          commit_link: `https://github.com/acme/widgets/pull/42/commits/${'f'.repeat(40)}`,
          author_link: 'https://github.com/alice',
        },
      ],
    });
  });

  it('links to the GitHub Enterprise host the pull request lives on', () => {
    const refs = refsForPullRequest({ ...PR, html_url: 'https://git.corp.example/acme/widgets/pull/42' }, 'b'.repeat(40));
    expect(refs.repo_link).toBe('https://git.corp.example/acme/widgets');
    expect(refs.pulls?.[0]?.author_link).toBe('https://git.corp.example/alice');
  });
});

describe('presubmit ProwJobs', () => {
  const job = newPresubmitJob(presubmitNamed('unit'), PR_REFS, {
    now: NOW,
    config: CONFIG,
    eventGuid: 'delivery-1',
    name: 'fixed-name',
  });

  it('is a valid ProwJob, triggered and started now, in the ProwJob namespace', () => {
    expect(ProwJobSchema.safeParse(job).success).toBe(true);
    expect(job.apiVersion).toBe('prow.k8s.io/v1');
    expect(job.kind).toBe('ProwJob');
    expect(job.metadata.name).toBe('fixed-name');
    expect(job.metadata.namespace).toBe('prow-jobs');
    expect(job.status).toEqual({ state: 'triggered', startTime: '2025-03-01T12:34:56Z' });
  });

  it("carries Prow's labels, the job's own, the delivery and whether it is optional", () => {
    expect(job.metadata.labels).toEqual({
      'created-by-prow': 'true',
      'prow.k8s.io/type': 'presubmit',
      'prow.k8s.io/job': 'unit',
      'prow.k8s.io/context': 'unit',
      'prow.k8s.io/refs.org': 'acme',
      'prow.k8s.io/refs.repo': 'widgets',
      'prow.k8s.io/refs.base_ref': 'main',
      'prow.k8s.io/refs.pull': '42',
      'prow.k8s.io/is-optional': 'false',
      'event-GUID': 'delivery-1',
      team: 'widgets',
    });
    expect(job.metadata.annotations).toEqual({
      'prow.k8s.io/job': 'unit',
      'prow.k8s.io/context': 'unit',
      'testgrid-dashboards': 'widgets',
    });
  });

  it("fills the spec from the job: agent, cluster, pod namespace, refs with the job's clone settings", () => {
    expect(job.spec).toEqual({
      type: 'presubmit',
      agent: 'kubernetes',
      cluster: 'default',
      namespace: 'test-pods',
      job: 'unit',
      refs: { ...PR_REFS, path_alias: 'example.com/widgets', clone_depth: 5 },
      report: true,
      context: 'unit',
      rerun_command: '/test unit',
      max_concurrency: 3,
      pod_spec: { containers: [{ image: 'alpine' }] },
      prowjob_defaults: { tenant_id: 'acme-tenant' },
    });
  });

  it('takes decoration, reporting and rerun settings from the job, and skip_report turns report off', () => {
    const lint = newPresubmitJob(presubmitNamed('lint'), PR_REFS, { now: NOW, config: CONFIG });
    expect(lint.spec.report).toBeUndefined();
    expect(lint.spec.context).toBe('ci/lint');
    expect(lint.spec.rerun_command).toBe('/test lint');
    expect(lint.spec.hidden).toBe(true);
    expect(lint.spec.decoration_config?.timeout).toBe('1h');
    expect(lint.spec.rerun_auth_config).toEqual({ github_users: ['alice'] });
    // Prow turns an explicitly empty list of states to report into "do not report".
    expect(lint.spec.reporter_config).toEqual({ slack: { channel: 'ci', job_states_to_report: [], report: false } });
    // Decoration's fetch settings apply to the refs.
    expect(lint.spec.refs?.blobless_fetch).toBe(true);
    expect(lint.spec.refs?.sparse_checkout_files).toEqual(['go.mod']);
    expect(lint.metadata.labels?.['prow.k8s.io/is-optional']).toBe('true');
    // "ci/lint" is not a valid label value; Prow keeps its last path element.
    expect(lint.metadata.labels?.['prow.k8s.io/context']).toBe('lint');
    expect(lint.metadata.annotations?.['prow.k8s.io/context']).toBe('ci/lint');
  });

  it('gets a fresh UUID for a name unless one is given', () => {
    const a = newPresubmitJob(presubmitNamed('unit'), PR_REFS, { now: NOW, config: CONFIG });
    const b = newPresubmitJob(presubmitNamed('unit'), PR_REFS, { now: NOW, config: CONFIG });
    expect(a.metadata.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.metadata.name).not.toBe(b.metadata.name);
  });

  it('cuts a long job name to a valid label but keeps it whole in the annotation', () => {
    const name = 'pull-widget-a-very-long-job-name-that-goes-past-the-kubernetes-label-limit-of-63';
    const long = newPresubmitJob(presubmitNamed(name), PR_REFS, { now: NOW, config: CONFIG });
    const label = long.metadata.labels?.['prow.k8s.io/job'] ?? '';
    // The first 63 characters end in "-", which Prow trims so the value stays a valid label.
    expect(label).toBe('pull-widget-a-very-long-job-name-that-goes-past-the-kubernetes');
    expect(label.length).toBeLessThanOrEqual(63);
    expect(isValidLabelValue(label)).toBe(true);
    expect(long.metadata.annotations?.['prow.k8s.io/job']).toBe(name);
  });

  it('adds extra labels, such as the retest marker', () => {
    const retest = newPresubmitJob(presubmitNamed('unit'), PR_REFS, {
      now: NOW,
      config: CONFIG,
      labels: { 'prow.k8s.io/retest': 'true' },
    });
    expect(retest.metadata.labels?.['prow.k8s.io/retest']).toBe('true');
  });
});

describe('postsubmit, periodic and batch ProwJobs', () => {
  const pushRefs: Refs = { org: 'acme', repo: 'widgets', base_ref: 'main', base_sha: 'c'.repeat(40) };

  it('makes a postsubmit with the push refs and no pull label', () => {
    const postsubmit = CONFIG.postsubmits.get('acme/widgets')![0]!;
    const job = newPostsubmitJob(postsubmit, pushRefs, { now: NOW, config: CONFIG, eventGuid: 'delivery-2' });
    expect(ProwJobSchema.safeParse(job).success).toBe(true);
    expect(job.spec).toMatchObject({ type: 'postsubmit', job: 'publish', context: 'publish', report: true, refs: pushRefs });
    expect(job.spec.rerun_command).toBeUndefined();
    expect(job.metadata.labels).toEqual({
      'created-by-prow': 'true',
      'prow.k8s.io/type': 'postsubmit',
      'prow.k8s.io/job': 'publish',
      'prow.k8s.io/context': 'publish',
      'prow.k8s.io/refs.org': 'acme',
      'prow.k8s.io/refs.repo': 'widgets',
      'prow.k8s.io/refs.base_ref': 'main',
      'event-GUID': 'delivery-2',
      stage: 'publish',
    });
  });

  it('makes a periodic that always reports, labelled from its first extra ref', () => {
    const job = newPeriodicJob(CONFIG.periodics[0]!, { now: NOW, config: CONFIG });
    expect(ProwJobSchema.safeParse(job).success).toBe(true);
    expect(job.spec.type).toBe('periodic');
    expect(job.spec.report).toBe(true);
    expect(job.spec.refs).toBeUndefined();
    expect(job.spec.extra_refs).toEqual([{ org: 'acme', repo: 'widgets', base_ref: 'main' }]);
    expect(job.spec.reporter_config).toEqual({ slack: { channel: 'nightly', report: true } });
    expect(job.spec.prowjob_defaults).toEqual({ tenant_id: 'acme-tenant' });
    expect(job.metadata.labels).toMatchObject({
      'prow.k8s.io/type': 'periodic',
      'prow.k8s.io/refs.org': 'acme',
      'prow.k8s.io/refs.repo': 'widgets',
      'prow.k8s.io/context': '',
    });
  });

  it('makes a batch over several pull requests, labelled with the first', () => {
    const refs: Refs = {
      ...pushRefs,
      pulls: [
        { number: 7, author: 'alice', sha: '7'.repeat(40) },
        { number: 9, author: 'bob', sha: '9'.repeat(40) },
      ],
    };
    const job = newBatchJob(presubmitNamed('unit'), refs, { now: NOW, config: CONFIG });
    expect(job.spec.type).toBe('batch');
    expect(job.spec.report).toBeUndefined();
    expect(job.spec.rerun_command).toBeUndefined();
    expect(job.spec.refs?.pulls).toHaveLength(2);
    expect(job.metadata.labels?.['prow.k8s.io/refs.pull']).toBe('7');
  });

  it('falls back to the global tenant when no default entry matches', () => {
    const plain = load(
      yaml(`
        postsubmits:
          other/repo:
          - name: publish
            spec: {containers: [{image: alpine}]}
      `),
    );
    const job = newPostsubmitJob(plain.postsubmits.get('other/repo')![0]!, { ...pushRefs, org: 'other', repo: 'repo' }, { now: NOW, config: plain });
    expect(job.spec.prowjob_defaults).toEqual({ tenant_id: DEFAULT_TENANT_ID });
    expect(job.metadata.namespace).toBe('default');
    expect(job.spec.namespace).toBe('default');
  });
});

describe('label values', () => {
  it('keeps short values and trims what truncation leaves dangling', () => {
    expect(truncateLabelValue('unit')).toBe('unit');
    expect(truncateLabelValue(`${'a'.repeat(62)}-tail`)).toBe('a'.repeat(62));
    expect(truncateLabelValue(`${'a'.repeat(60)}._-x`)).toBe('a'.repeat(60));
  });

  it('rescues a path-like value by its last element and drops what cannot be rescued', () => {
    const { labels } = labelsAndAnnotationsForSpec(
      { type: 'presubmit', job: 'unit', context: 'ci/unit' },
      { path: 'images/builder', bad: 'not valid!', empty: '' },
      {},
    );
    expect(labels['prow.k8s.io/context']).toBe('unit');
    expect(labels['path']).toBe('builder');
    expect(labels).not.toHaveProperty('bad');
    expect(labels['empty']).toBe('');
  });
});
