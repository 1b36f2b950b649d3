import { describe, expect, it } from 'vitest';
import { jobEnvironment, reservedEnvForType } from '../../../shared/prowjob/environment';
import { testProwJob } from '../../support/prowjobs';

/** The environment a job's containers see, as Prow's downward API gives it. */
describe('job environment', () => {
  it('gives a presubmit its identity, repository and pull request', () => {
    const job = testProwJob({ name: 'f3b1c2d4-0000-4000-8000-000000000001', job: 'pull-widgets-unit', pull: 7, author: 'alice' });
    const env = jobEnvironment(job, '1790000000000000001');
    expect(env).toMatchObject({
      CI: 'true',
      JOB_NAME: 'pull-widgets-unit',
      JOB_TYPE: 'presubmit',
      BUILD_ID: '1790000000000000001',
      BUILD_NUMBER: '1790000000000000001',
      PROW_JOB_ID: 'f3b1c2d4-0000-4000-8000-000000000001',
      REPO_OWNER: 'acme',
      REPO_NAME: 'widgets',
      SRC_HOST: 'github.com',
      SRC_BASE: 'acme/widgets',
      PULL_BASE_REF: 'main',
      PULL_BASE_SHA: 'a'.repeat(40),
      PULL_REFS: `main:${'a'.repeat(40)},7:${'b'.repeat(40)}`,
      PULL_NUMBER: '7',
      PULL_PULL_SHA: 'b'.repeat(40),
    });
    expect(JSON.parse(env.JOB_SPEC ?? '')).toMatchObject({
      type: 'presubmit',
      job: 'pull-widgets-unit',
      buildid: '1790000000000000001',
      prowjobid: 'f3b1c2d4-0000-4000-8000-000000000001',
      refs: { org: 'acme', repo: 'widgets', pulls: [{ number: 7, author: 'alice' }] },
    });
    expect(Object.keys(env).sort()).toEqual([...reservedEnvForType('presubmit')].sort());
  });

  it('gives a postsubmit no pull request, and a periodic no repository', () => {
    const post = jobEnvironment(testProwJob({ type: 'postsubmit' }), '2');
    expect(post.PULL_NUMBER).toBeUndefined();
    expect(Object.keys(post).sort()).toEqual([...reservedEnvForType('postsubmit')].sort());
    const periodic = jobEnvironment(testProwJob({ type: 'periodic' }), '3');
    expect(Object.keys(periodic).sort()).toEqual([...reservedEnvForType('periodic')].sort());
  });

  it('takes SRC_HOST and SRC_BASE from path_alias, as Go import paths', () => {
    const job = testProwJob({ type: 'postsubmit' });
    if (job.spec.refs) job.spec.refs.path_alias = 'k8s.io/widgets';
    expect(jobEnvironment(job, '4')).toMatchObject({ SRC_HOST: 'k8s.io', SRC_BASE: 'widgets' });
  });
});
