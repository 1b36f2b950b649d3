import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ExecutionPhase, ExecutionStatus } from './executor';

/**
 * What a pod's status means for its job, with a description a person understands without knowing
 * Kubernetes: the phase alone says "Pending" for a pod that will never run because its image does
 * not exist, so waiting and terminated container states are read too.
 */

/** Waiting reasons after which the pod will not start without someone changing something. */
const FATAL_WAITING_REASONS: Record<string, string> = {
  ErrImagePull: 'could not be pulled',
  ImagePullBackOff: 'could not be pulled',
  InvalidImageName: 'is not a valid image name',
  CreateContainerConfigError: 'could not be configured',
  CreateContainerError: 'could not be created',
};

function allContainerStatuses(pod: V1Pod): V1ContainerStatus[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

/** The container whose exit decides the job: the first regular container (Prow's "test"). */
function testContainerStatus(pod: V1Pod): V1ContainerStatus | undefined {
  const name = pod.spec?.containers[0]?.name;
  return pod.status?.containerStatuses?.find((status) => status.name === name);
}

function withDetail(text: string, detail: string | undefined): string {
  return detail ? `${text}: ${detail}` : text;
}

export function executionStatusOfPod(pod: V1Pod): ExecutionStatus {
  const jobName = pod.metadata?.labels?.['prow.k8s.io/id'] ?? pod.metadata?.name ?? '';
  const base = { jobName, executionName: pod.metadata?.name ?? '' };
  const startedAt = pod.status?.startTime ? new Date(pod.status.startTime) : undefined;
  const make = (phase: ExecutionPhase, description: string, extra: Partial<ExecutionStatus> = {}): ExecutionStatus => ({
    ...base,
    phase,
    description,
    ...(startedAt ? { startedAt } : {}),
    ...extra,
  });

  for (const status of allContainerStatuses(pod)) {
    const reason = status.state?.waiting?.reason;
    const problem = reason ? FATAL_WAITING_REASONS[reason] : undefined;
    if (problem) {
      return make('error', withDetail(`Image "${status.image}" of container ${status.name} ${problem}`, status.state?.waiting?.message));
    }
  }

  const terminated = testContainerStatus(pod)?.state?.terminated;
  const finishedAt = terminated?.finishedAt ? new Date(terminated.finishedAt) : undefined;
  const ended = { ...(finishedAt ? { finishedAt } : {}), ...(terminated ? { exitCode: terminated.exitCode } : {}) };

  // The pod runs on while its artifacts sidecar uploads, but the job's result is the test container's.
  if (terminated && (pod.status?.phase === 'Running' || pod.status?.phase === 'Pending')) {
    if (terminated.exitCode === 0) return make('succeeded', 'Job succeeded.', ended);
    if (terminated.reason === 'OOMKilled') return make('failed', `Job failed: container ${testContainerStatus(pod)?.name} ran out of memory (OOMKilled).`, ended);
    return make('failed', `Job failed: exit code ${terminated.exitCode}.`, ended);
  }

  switch (pod.status?.phase) {
    case 'Succeeded':
      return make('succeeded', 'Job succeeded.', ended);
    case 'Failed': {
      if (pod.status.reason === 'DeadlineExceeded') return make('failed', 'Job timed out: the pod exceeded its deadline.', ended);
      if (pod.status.reason === 'Evicted') return make('error', withDetail('The pod was evicted', pod.status.message), ended);
      const oom = allContainerStatuses(pod).find((status) => status.state?.terminated?.reason === 'OOMKilled');
      if (oom) return make('failed', `Job failed: container ${oom.name} ran out of memory (OOMKilled).`, ended);
      const failedInit = (pod.status.initContainerStatuses ?? []).find((status) => (status.state?.terminated?.exitCode ?? 0) !== 0);
      if (failedInit) {
        return make('error', `Job could not start: init container ${failedInit.name} exited with code ${failedInit.state?.terminated?.exitCode}.`, ended);
      }
      return make('failed', terminated ? `Job failed: exit code ${terminated.exitCode}.` : 'Job failed.', ended);
    }
    case 'Running':
      return make('running', 'Job running.');
    case 'Unknown':
      return make('error', withDetail('The pod’s node stopped reporting', pod.status.message));
    default: {
      const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
      if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
        return make('pending', withDetail('Waiting for a node: the pod cannot be scheduled yet', scheduled.message));
      }
      return make('pending', 'Job triggered; its pod is starting.');
    }
  }
}

/** True while the pod is waiting for a node, for Prow's pod_unscheduled_timeout. */
export function isUnscheduled(pod: V1Pod): boolean {
  return Boolean(
    pod.status?.conditions?.some(
      (condition) => condition.type === 'PodScheduled' && condition.status === 'False' && condition.reason === 'Unschedulable',
    ),
  );
}
