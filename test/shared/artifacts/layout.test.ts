import { describe, expect, it } from 'vitest';
import {
  finishedJson,
  gcsPathOptionsOf,
  jobArtifactsDir,
  jobRootDir,
  latestBuildPaths,
  pullDirectoryLink,
  revisionOf,
  startedForJob,
  startedJson,
} from '../../../shared/artifacts/layout';
import type { ProwJob } from '../../../shared/prowjob/schema';
import { testProwJob } from '../../support/prowjobs';

/** Prow's GCS layout and metadata documents, checked against what Prow's own code and tests produce. */

const BUILD = '1790000000000000000';
const BASE_SHA = 'a'.repeat(40);
const HEAD_SHA = 'b'.repeat(40);

function withGcs(job: ProwJob, gcs: NonNullable<NonNullable<ProwJob['spec']['decoration_config']>['gcs_configuration']>): ProwJob {
  return { ...job, spec: { ...job.spec, decoration_config: { gcs_configuration: gcs } } };
}

describe('build directories', () => {
  it('puts periodics and postsubmits under logs/<job>/<build>/', () => {
    expect(jobArtifactsDir(testProwJob({ type: 'periodic', job: 'ci-nightly' }), BUILD)).toBe(`logs/ci-nightly/${BUILD}/`);
    expect(jobArtifactsDir(testProwJob({ type: 'postsubmit', job: 'post-widgets-build' }), BUILD)).toBe(`logs/post-widgets-build/${BUILD}/`);
  });

  it('puts presubmits under their pull request, naming the repository org_repo by default', () => {
    const job = testProwJob({ job: 'pull-widgets-unit', pull: 7 });
    expect(jobArtifactsDir(job, BUILD)).toBe(`pr-logs/pull/acme_widgets/7/pull-widgets-unit/${BUILD}/`);
  });

  it('puts batches under pr-logs/pull/batch/', () => {
    expect(jobArtifactsDir(testProwJob({ type: 'batch', job: 'pull-widgets-unit', pull: 7 }), BUILD)).toBe(
      `pr-logs/pull/batch/pull-widgets-unit/${BUILD}/`,
    );
  });

  it('names the repository as Prow’s path strategies do (its target_test.go cases)', () => {
    const job = testProwJob({ job: 'job', org: 'org', repo: 'repo', pull: 1 });
    const dir = (options: Parameters<typeof jobArtifactsDir>[2]) => jobArtifactsDir(job, 'number', options);
    expect(dir({ pathStrategy: 'legacy', defaultOrg: 'org', defaultRepo: 'repo' })).toBe('pr-logs/pull/1/job/number/');
    expect(dir({ pathStrategy: 'legacy', defaultOrg: 'org', defaultRepo: 'other' })).toBe('pr-logs/pull/repo/1/job/number/');
    expect(dir({ pathStrategy: 'legacy', defaultOrg: 'some', defaultRepo: 'other' })).toBe('pr-logs/pull/org_repo/1/job/number/');
    expect(dir({ pathStrategy: 'single', defaultOrg: 'org', defaultRepo: 'repo' })).toBe('pr-logs/pull/1/job/number/');
    expect(dir({ pathStrategy: 'single', defaultOrg: 'org', defaultRepo: 'other' })).toBe('pr-logs/pull/org_repo/1/job/number/');
    expect(dir({ pathStrategy: 'explicit', defaultOrg: 'org', defaultRepo: 'repo' })).toBe('pr-logs/pull/org_repo/1/job/number/');
  });

  it('requires the default repository for the legacy and single strategies, as Prow’s validation does', () => {
    const job = testProwJob({ pull: 1 });
    expect(() => jobArtifactsDir(job, BUILD, { pathStrategy: 'single', defaultOrg: 'acme' })).toThrow(/default_org and default_repo/);
    expect(() => jobArtifactsDir(job, BUILD, { pathStrategy: 'legacy' })).toThrow(/default_org and default_repo/);
  });

  it('flattens Gerrit hosts and nested repositories into one segment', () => {
    const job = testProwJob({ job: 'pull-unit', org: 'https://review.example.com/', repo: 'platform/build', pull: 42 });
    expect(jobArtifactsDir(job, BUILD)).toBe(`pr-logs/pull/review.example.com_platform_build/42/pull-unit/${BUILD}/`);
  });

  it('follows the job’s own gcs_configuration, path prefix included', () => {
    const job = withGcs(testProwJob({ job: 'pull-widgets-unit', pull: 7 }), {
      bucket: 'gs://results',
      path_strategy: 'single',
      default_org: 'acme',
      default_repo: 'widgets',
      path_prefix: 'cutwater/',
    });
    expect(gcsPathOptionsOf(job)).toEqual({ pathStrategy: 'single', defaultOrg: 'acme', defaultRepo: 'widgets', pathPrefix: 'cutwater/' });
    expect(jobArtifactsDir(job, BUILD)).toBe(`cutwater/pr-logs/pull/7/pull-widgets-unit/${BUILD}/`);
    expect(jobArtifactsDir(job, BUILD, {})).toBe(`pr-logs/pull/acme_widgets/7/pull-widgets-unit/${BUILD}/`);
  });

  it('refuses what would make no path: no build ID, no job name, a presubmit without a pull request', () => {
    expect(() => jobArtifactsDir(testProwJob({ type: 'periodic' }), '')).toThrow(/build ID/);
    expect(() => jobArtifactsDir(testProwJob({ type: 'periodic', job: '' }), BUILD)).toThrow(/job name/);
    expect(() => jobArtifactsDir(testProwJob({ type: 'presubmit' }), BUILD)).toThrow(/no pull request/);
    expect(() => jobArtifactsDir(testProwJob({ type: 'periodic', job: '..' }), BUILD)).toThrow(/invalid artifact path/);
  });

  it('gives each job a root across its builds', () => {
    expect(jobRootDir(testProwJob({ type: 'periodic', job: 'ci-nightly' }))).toBe('logs/ci-nightly/');
    expect(jobRootDir(testProwJob({ type: 'postsubmit', job: 'post-build' }))).toBe('logs/post-build/');
    expect(jobRootDir(testProwJob({ job: 'pull-unit', pull: 7 }))).toBe('pr-logs/directory/pull-unit/');
    expect(jobRootDir(testProwJob({ type: 'batch', job: 'pull-unit', pull: 7 }))).toBe('pr-logs/directory/pull-unit/');
  });
});

describe('latest-build.txt', () => {
  it('is beside the builds for periodics and postsubmits', () => {
    expect(latestBuildPaths(testProwJob({ type: 'periodic', job: 'ci-kubernetes-periodic' }))).toEqual(['logs/ci-kubernetes-periodic/latest-build.txt']);
    expect(latestBuildPaths(testProwJob({ type: 'postsubmit', job: 'ci-kubernetes-unit' }))).toEqual(['logs/ci-kubernetes-unit/latest-build.txt']);
  });

  it('is in the job’s directory for batches', () => {
    expect(latestBuildPaths(testProwJob({ type: 'batch', job: 'pull-kubernetes-unit', pull: 1 }))).toEqual([
      'pr-logs/directory/pull-kubernetes-unit/latest-build.txt',
    ]);
  });

  it('is in the job’s directory and the pull request’s for presubmits (Prow’s test cases)', () => {
    const job = testProwJob({ job: 'pull-kubernetes-unit', org: 'kubernetes', repo: 'test-infra', pull: 1234 });
    expect(latestBuildPaths(job)).toEqual([
      'pr-logs/directory/pull-kubernetes-unit/latest-build.txt',
      'pr-logs/pull/kubernetes_test-infra/1234/pull-kubernetes-unit/latest-build.txt',
    ]);
    expect(latestBuildPaths(job, { pathStrategy: 'legacy', defaultOrg: 'kubernetes', defaultRepo: 'test-infra' })).toEqual([
      'pr-logs/directory/pull-kubernetes-unit/latest-build.txt',
      'pr-logs/pull/1234/pull-kubernetes-unit/latest-build.txt',
    ]);
  });

  it('stays at the bucket’s root when a path prefix moves the builds, as in Prow', () => {
    const job = testProwJob({ type: 'periodic', job: 'ci-nightly' });
    expect(latestBuildPaths(job, { pathPrefix: 'cutwater' })).toEqual(['logs/ci-nightly/latest-build.txt']);
  });
});

describe('pr-logs/directory/<job>/<build>.txt', () => {
  it('links a presubmit build from the job’s directory to its pull request’s', () => {
    const job = testProwJob({ job: 'pull-widgets-unit', pull: 7 });
    expect(pullDirectoryLink(job, BUILD, 'results')).toEqual({
      path: `pr-logs/directory/pull-widgets-unit/${BUILD}.txt`,
      content: `gs://results/pr-logs/pull/acme_widgets/7/pull-widgets-unit/${BUILD}`,
    });
  });

  it('keeps a bucket URL’s own scheme and the path prefix in the link', () => {
    const job = withGcs(testProwJob({ job: 'pull-widgets-unit', pull: 7 }), { path_strategy: 'explicit', path_prefix: 'ci' });
    expect(pullDirectoryLink(job, BUILD, 's3://results/')?.content).toBe(`s3://results/ci/pr-logs/pull/acme_widgets/7/pull-widgets-unit/${BUILD}`);
    expect(pullDirectoryLink(job, BUILD, 'gs://results')?.path).toBe(`pr-logs/directory/pull-widgets-unit/${BUILD}.txt`);
  });

  it('does not exist for other job types', () => {
    for (const type of ['periodic', 'postsubmit', 'batch'] as const) {
      expect(pullDirectoryLink(testProwJob({ type, pull: 7 }), BUILD, 'results')).toBeUndefined();
    }
  });
});

describe('started.json', () => {
  it('has TestGrid’s field names in Go’s order, empty ones left out', () => {
    expect(
      startedJson({
        timestamp: 1_790_000_000,
        node: 'pod-1',
        pull: '7',
        repos: { 'acme/widgets': `main:${BASE_SHA},7:${HEAD_SHA}` },
        repoCommit: HEAD_SHA,
        repoVersion: HEAD_SHA,
        metadata: { uploader: 'cutwater' },
      }),
    ).toBe(
      `{"timestamp":1790000000,"node":"pod-1","pull":"7","repos":{"acme/widgets":"main:${BASE_SHA},7:${HEAD_SHA}"},` +
        `"repo-commit":"${HEAD_SHA}","metadata":{"uploader":"cutwater"},"repo-version":"${HEAD_SHA}"}`,
    );
    expect(startedJson({ timestamp: 1_790_000_000, node: '', repos: {}, metadata: {} })).toBe('{"timestamp":1790000000}');
  });

  it('is what Prow’s initupload writes for a presubmit', () => {
    const job = testProwJob({ pull: 7 });
    const started = startedForJob(job, { timestamp: 1_790_000_000 });
    expect(JSON.parse(startedJson(started))).toEqual({
      timestamp: 1_790_000_000,
      pull: '7',
      repos: { 'acme/widgets': `main:${BASE_SHA},7:${HEAD_SHA}` },
      'repo-commit': HEAD_SHA,
      'repo-version': HEAD_SHA,
    });
  });

  it('records the checked-out commit, the node, and every extra repository', () => {
    const base = testProwJob({ type: 'periodic' });
    const job: ProwJob = {
      ...base,
      spec: { ...base.spec, refs: undefined, extra_refs: [{ org: 'acme', repo: 'tools', base_ref: 'release-1.0' }, { org: 'acme', repo: 'infra', base_ref: 'main', base_sha: BASE_SHA }] },
    };
    expect(startedForJob(job, { timestamp: 1, node: 'runner-pod-abc', checkedOutSha: 'c'.repeat(40) })).toEqual({
      timestamp: 1,
      node: 'runner-pod-abc',
      repos: { 'acme/tools': 'release-1.0', 'acme/infra': `main:${BASE_SHA}` },
      repoCommit: 'c'.repeat(40),
      repoVersion: 'c'.repeat(40),
    });
    expect(startedForJob({ ...base, spec: { ...base.spec, refs: undefined } }, { timestamp: 1 })).toEqual({ timestamp: 1 });
  });

  it('writes map keys in byte order, as Go does, even keys that look like numbers', () => {
    expect(startedJson({ timestamp: 1, repos: { 'b/x': '2', 'a/y': '1' }, metadata: { '10': 'ten', '9': 'nine', B: { z: 1, a: [true, null] } } })).toBe(
      '{"timestamp":1,"repos":{"a/y":"1","b/x":"2"},"metadata":{"10":"ten","9":"nine","B":{"a":[true,null],"z":1}}}',
    );
  });

  it('escapes <, > and & as Go’s encoder does', () => {
    expect(startedJson({ timestamp: 1, node: '<pod>&\u2028' })).toBe('{"timestamp":1,"node":"\\u003cpod\\u003e\\u0026\\u2028"}');
  });

  it('refuses a timestamp that is not whole seconds', () => {
    expect(() => startedJson({ timestamp: Date.UTC(2026, 10, 24) })).toThrow(/seconds/);
    expect(() => startedJson({ timestamp: 1.5 })).toThrow(/seconds/);
    expect(() => startedJson({ timestamp: -1 })).toThrow(/seconds/);
  });
});

describe('finished.json', () => {
  it('has TestGrid’s field names in Go’s order, as Prow’s sidecar writes them', () => {
    expect(finishedJson({ timestamp: 1_790_000_100, passed: true, result: 'SUCCESS', revision: HEAD_SHA, metadata: { 'job-version': 'v1.2.3' } })).toBe(
      `{"timestamp":1790000100,"passed":true,"metadata":{"job-version":"v1.2.3"},"result":"SUCCESS","revision":"${HEAD_SHA}"}`,
    );
  });

  it('always has passed, and leaves out empty metadata and revision', () => {
    expect(finishedJson({ timestamp: 1_790_000_100, passed: false, result: 'FAILURE', metadata: {}, revision: '' })).toBe(
      '{"timestamp":1790000100,"passed":false,"result":"FAILURE"}',
    );
    expect(JSON.parse(finishedJson({ timestamp: 1, passed: false, result: 'ABORTED' }))).toEqual({ timestamp: 1, passed: false, result: 'ABORTED' });
    expect(JSON.parse(finishedJson({ timestamp: 1, passed: false, result: 'ERROR' }))).toMatchObject({ result: 'ERROR' });
  });
});

describe('revisionOf', () => {
  it('is the pull request’s head, else the base SHA, else the base ref (downwardapi.GetRevisionFromRefs)', () => {
    const presubmit = testProwJob({ pull: 7 });
    expect(revisionOf(presubmit)).toBe(HEAD_SHA);
    expect(revisionOf(testProwJob())).toBe(BASE_SHA);
    const onlyRef: ProwJob = { ...presubmit, spec: { ...presubmit.spec, refs: { org: 'acme', repo: 'widgets', base_ref: 'main' } } };
    expect(revisionOf(onlyRef)).toBe('main');
  });

  it('skips auxiliary extra refs, and is undefined without refs', () => {
    const base = testProwJob({ type: 'periodic' });
    const job: ProwJob = {
      ...base,
      spec: {
        ...base.spec,
        refs: undefined,
        extra_refs: [
          { org: 'acme', repo: 'tools', base_ref: 'main', base_sha: 'd'.repeat(40), auxiliary: true },
          { org: 'acme', repo: 'infra', base_ref: 'main', base_sha: 'e'.repeat(40) },
        ],
      },
    };
    expect(revisionOf(job)).toBe('e'.repeat(40));
    expect(revisionOf({ ...base, spec: { ...base.spec, refs: undefined } })).toBeUndefined();
  });
});
