import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { executionStatusOfPod, isUnscheduled } from '../../../runner/executor/pod-status';

/** What a pod's state means for its job, in words a person understands. */
function pod(status: V1Pod['status']): V1Pod {
  return {
    metadata: { name: 'job-1', labels: { 'prow.k8s.io/id': 'job-1' } },
    spec: { containers: [{ name: 'test', image: 'golang:1.23' }] },
    status,
  };
}

describe('pod status', () => {
  it('reads success and failure from the phase and the test container’s exit', () => {
    const terminated = (exitCode: number, reason?: string) => ({
      containerStatuses: [{ name: 'test', image: 'golang:1.23', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, ...(reason ? { reason } : {}), finishedAt: new Date('2026-11-24T12:05:00Z') } } }],
    });
    expect(executionStatusOfPod(pod({ phase: 'Succeeded', ...terminated(0) }))).toMatchObject({ phase: 'succeeded', description: 'Job succeeded.', exitCode: 0 });
    expect(executionStatusOfPod(pod({ phase: 'Failed', ...terminated(2) }))).toMatchObject({ phase: 'failed', description: 'Job failed: exit code 2.', exitCode: 2 });
    expect(executionStatusOfPod(pod({ phase: 'Failed', ...terminated(137, 'OOMKilled') })).description).toBe(
      'Job failed: container test ran out of memory (OOMKilled).',
    );
  });

  it('turns an image that cannot be pulled into an error naming the image, not an endless pending', () => {
    const status = executionStatusOfPod(
      pod({
        phase: 'Pending',
        containerStatuses: [
          { name: 'test', image: 'golang:9.99', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'manifest unknown' } } },
        ],
      }),
    );
    expect(status).toMatchObject({ phase: 'error', description: 'Image "golang:9.99" of container test could not be pulled: manifest unknown' });
  });

  it('explains an unschedulable pod, a deadline, an eviction and a lost node', () => {
    const unschedulable = pod({
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes have enough cpu' }],
    });
    expect(executionStatusOfPod(unschedulable)).toMatchObject({ phase: 'pending', description: 'Waiting for a node: the pod cannot be scheduled yet: 0/3 nodes have enough cpu' });
    expect(isUnscheduled(unschedulable)).toBe(true);
    expect(executionStatusOfPod(pod({ phase: 'Failed', reason: 'DeadlineExceeded' })).description).toMatch(/timed out/);
    expect(executionStatusOfPod(pod({ phase: 'Failed', reason: 'Evicted', message: 'low on disk' }))).toMatchObject({ phase: 'error', description: 'The pod was evicted: low on disk' });
    expect(executionStatusOfPod(pod({ phase: 'Unknown' })).phase).toBe('error');
    expect(executionStatusOfPod(pod({ phase: 'Running' }))).toMatchObject({ phase: 'running', jobName: 'job-1', executionName: 'job-1' });
  });

  it('reports a failed clone as an error of the job, not a test failure', () => {
    const status = executionStatusOfPod(
      pod({
        phase: 'Failed',
        initContainerStatuses: [{ name: 'clonerefs', image: 'alpine/git', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 128 } } }],
      }),
    );
    expect(status).toMatchObject({ phase: 'error', description: 'Job could not start: init container clonerefs exited with code 128.' });
  });
});
