import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { V1PodSpec } from '@kubernetes/client-node';
import { Pod } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { cloneScript, podForJob, repositoryPath, shellQuote } from '../../../runner/executor/pod';
import { testProwJob } from '../../support/prowjobs';

/** The pod a ProwJob becomes: valid for Kubernetes, with Prow's labels, env and layout. */
describe('job pod', () => {
  const options = { namespace: 'test-pods', buildId: '1790000000000000001', cluster: 'default' };

  it('carries Prow’s labels and the job environment, and is a valid Kubernetes pod', () => {
    const job = testProwJob({ name: 'a1b2c3d4-0000-4000-8000-000000000001', pull: 7 });
    const pod = podForJob(job, options);
    expect(() => new Pod(pod as ConstructorParameters<typeof Pod>[0]).validate()).not.toThrow();
    expect(pod.metadata).toMatchObject({
      name: 'a1b2c3d4-0000-4000-8000-000000000001',
      namespace: 'test-pods',
      labels: {
        'created-by-prow': 'true',
        'prow.k8s.io/id': 'a1b2c3d4-0000-4000-8000-000000000001',
        'prow.k8s.io/build-id': '1790000000000000001',
        'prow.k8s.io/job': 'unit-tests',
        'prow.k8s.io/refs.pull': '7',
        'cutwater.dev/cluster': 'default',
      },
    });
    expect(pod.spec?.restartPolicy).toBe('Never');
    const env = Object.fromEntries((pod.spec?.containers[0]?.env ?? []).map((entry) => [entry.name, entry.value]));
    expect(env).toMatchObject({ GOFLAGS: '-mod=vendor', JOB_NAME: 'unit-tests', PULL_NUMBER: '7', BUILD_ID: '1790000000000000001' });
  });

  it('does not let a job config override the environment the runner owns', () => {
    const job = testProwJob();
    (job.spec.pod_spec as unknown as V1PodSpec).containers[0]?.env?.push({ name: 'JOB_NAME', value: 'spoofed' });
    const env = podForJob(job, options).spec?.containers[0]?.env ?? [];
    expect(env.filter((entry) => entry.name === 'JOB_NAME')).toEqual([{ name: 'JOB_NAME', value: 'unit-tests' }]);
  });

  it('decorates: clones the refs in an init container with a stock git image, and runs in the repository', () => {
    const job = testProwJob({ pull: 7 });
    job.spec.decoration_config = { timeout: '1h', grace_period: '15s' };
    const pod = podForJob(job, options);
    expect(pod.spec?.initContainers?.[0]).toMatchObject({ name: 'clonerefs', image: 'alpine/git:2.47.2' });
    expect(pod.spec?.containers[0]?.workingDir).toBe('/home/prow/go/src/github.com/acme/widgets');
    expect(pod.spec?.terminationGracePeriodSeconds).toBe(15);
    const env = Object.fromEntries((pod.spec?.containers[0]?.env ?? []).map((entry) => [entry.name, entry.value]));
    expect(env.ARTIFACTS).toBe('/logs/artifacts');
    expect(() => new Pod(pod as ConstructorParameters<typeof Pod>[0]).validate()).not.toThrow();
  });

  it('quotes refs from webhooks so they cannot run commands', () => {
    expect(shellQuote("it's")).toBe(`'it'"'"'s'`);
    const script = cloneScript([{ org: 'acme', repo: 'widgets', base_ref: "main'; rm -rf / #", pulls: [{ number: 1, author: 'x', sha: '$(reboot)' }] }]);
    expect(script).toContain(`'main'"'"'; rm -rf / #'`);
    expect(script).toContain(`'$(reboot)'`);
  });

  it('clones and merges for real with git, as the init container would', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'cutwater-clone-'));
    try {
      const origin = path.join(root, 'origin');
      const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', HOME: root } }).trim();
      execFileSync('git', ['init', '--quiet', '--initial-branch=main', origin]);
      writeFileSync(path.join(origin, 'a.txt'), 'base\n');
      git(origin, 'add', '.');
      git(origin, 'commit', '--quiet', '-m', 'base');
      const baseSha = git(origin, 'rev-parse', 'HEAD');
      git(origin, 'checkout', '--quiet', '-b', 'feature');
      writeFileSync(path.join(origin, 'b.txt'), 'feature\n');
      git(origin, 'add', '.');
      git(origin, 'commit', '--quiet', '-m', 'feature');
      const pullSha = git(origin, 'rev-parse', 'HEAD');
      git(origin, 'update-ref', 'refs/pull/5/head', pullSha);
      const refs = { org: 'acme', repo: 'widgets', base_ref: 'main', base_sha: baseSha, clone_uri: origin, pulls: [{ number: 5, author: 'x', sha: pullSha }] };
      const script = cloneScript([refs]).replaceAll('/home/prow/go', path.join(root, 'go'));
      execFileSync('sh', ['-c', script], { env: { ...process.env, HOME: root } });
      const checkout = repositoryPath(refs).replace('/home/prow/go', path.join(root, 'go'));
      expect(git(checkout, 'log', '--format=%s', '-n', '1')).toBe(`Merge ${pullSha}`);
      expect(git(checkout, 'show', 'HEAD:b.txt')).toBe('feature');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
