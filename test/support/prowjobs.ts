import { randomUUID } from 'node:crypto';
import type { ProwJob } from '../../shared/prowjob/schema';

/** A ProwJob as the trigger plugin would create it, with only what a test cares about given. */
export interface TestJobOptions {
  name?: string;
  job?: string;
  type?: 'presubmit' | 'postsubmit' | 'periodic' | 'batch';
  cluster?: string;
  org?: string;
  repo?: string;
  pull?: number;
  author?: string;
}

export function testProwJob(options: TestJobOptions = {}): ProwJob {
  const type = options.type ?? (options.pull === undefined ? 'postsubmit' : 'presubmit');
  const org = options.org ?? 'acme';
  const repo = options.repo ?? 'widgets';
  const job = options.job ?? 'unit-tests';
  return {
    apiVersion: 'prow.k8s.io/v1',
    kind: 'ProwJob',
    metadata: {
      name: options.name ?? randomUUID(),
      labels: {
        'created-by-prow': 'true',
        'prow.k8s.io/job': job,
        'prow.k8s.io/type': type,
        'prow.k8s.io/refs.org': org,
        'prow.k8s.io/refs.repo': repo,
        ...(options.pull === undefined ? {} : { 'prow.k8s.io/refs.pull': String(options.pull) }),
      },
      annotations: { 'prow.k8s.io/job': job },
    },
    spec: {
      type,
      agent: 'kubernetes',
      cluster: options.cluster ?? 'default',
      namespace: 'test-pods',
      job,
      context: job,
      rerun_command: `/test ${job}`,
      refs: {
        org,
        repo,
        base_ref: 'main',
        base_sha: 'a'.repeat(40),
        ...(options.pull === undefined
          ? {}
          : { pulls: [{ number: options.pull, author: options.author ?? 'octocat', sha: 'b'.repeat(40) }] }),
      },
      pod_spec: {
        containers: [
          {
            image: 'golang:1.23',
            command: ['make'],
            args: ['test', '--race'],
            env: [{ name: 'GOFLAGS', value: '-mod=vendor' }],
            resources: { requests: { cpu: '2', memory: '4Gi' } },
          },
        ],
      },
    },
  };
}
