import { CoreV1Api, type CoreV1Event, type KubeConfig, type V1Pod, type V1PodSpec } from '@kubernetes/client-node';
import type { ProwJob } from '../../shared/prowjob/schema';
import type { Logger } from '../../shared/log/logger';
import type { ExecutionStatus, Executor } from './executor';
import { artifactsFromSidecarLog, sidecarFinishedPrinting } from './artifact-stream';
import { apiFailureOf, failedTo } from './kubernetes-status';
import { OwnDeletions } from './own-deletions';
import { ARTIFACTS_CONTAINER, POD_LABELS, podForJob } from './pod';
import { secretReferences, secretValues } from './pod-secrets';
import { executionStatusOfPod } from './pod-status';
import { PodWatch } from './pod-watch';

/**
 * Runs ProwJobs as pods in one namespace of a build cluster, as Prow's plank does. The pod is
 * named after the job, so the job's name finds its pod again after a runner restart, and the
 * cluster label keeps runners of different build clusters sharing a namespace apart.
 */
export interface KubernetesExecutorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** The build cluster's name as ProwJobs give it (spec.cluster); labels the pods this runner owns. */
  cluster: string;
  cloneImage?: string;
  log?: Logger;
}

/** Pages keep one list response from growing with the number of pods. */
const LIST_PAGE_SIZE = 500;

function podName(pod: V1Pod): string {
  return pod.metadata?.name ?? '';
}

function errorStatus(jobName: string, description: string): ExecutionStatus {
  return { jobName, phase: 'error', description, executionName: jobName };
}

const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export class KubernetesExecutor implements Executor {
  private readonly api: CoreV1Api;
  private readonly kubeConfig: KubeConfig;
  private readonly namespace: string;
  private readonly cluster: string;
  private readonly cloneImage: string | undefined;
  private readonly logger: Logger;
  private readonly labelSelector: string;
  private readonly ownDeletions = new OwnDeletions();
  private activeWatches = 0;

  constructor(options: KubernetesExecutorOptions) {
    this.kubeConfig = options.kubeConfig;
    this.api = options.kubeConfig.makeApiClient(CoreV1Api);
    this.namespace = options.namespace;
    this.cluster = options.cluster;
    this.cloneImage = options.cloneImage;
    this.logger = (options.log ?? silentLogger).child({ executor: 'kubernetes', namespace: options.namespace, cluster: options.cluster });
    this.labelSelector = `${POD_LABELS.createdByProw}=true,${POD_LABELS.cluster}=${options.cluster}`;
  }

  async start(job: ProwJob): Promise<ExecutionStatus> {
    const jobName = job.metadata.name ?? '';
    let pod: V1Pod;
    try {
      pod = podForJob(job, {
        namespace: this.namespace,
        buildId: job.status?.build_id ?? '',
        cluster: this.cluster,
        ...(this.cloneImage !== undefined ? { cloneImage: this.cloneImage } : {}),
      });
    } catch (error) {
      // The job itself is unusable (no pod_spec…): retrying cannot help, so it ends as an error.
      const description = `Pod can not be created: ${error instanceof Error ? error.message : String(error)}`;
      this.logger.warn('job has no runnable pod', { jobName, description });
      return errorStatus(jobName, description);
    }

    // A pod that vanished between "already exists" and our read is created again; twice is enough
    // for that race, more would hide a real problem.
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await this.api.createNamespacedPod({ namespace: this.namespace, body: pod });
        this.logger.info('pod created', { jobName, pod: podName(created), buildId: job.status?.build_id });
        return executionStatusOfPod(created);
      } catch (error) {
        const failure = apiFailureOf(error);
        if (failure?.code === 422) {
          // Prow's plank: a pod Kubernetes rejects as invalid never will run, so the job errors.
          const description = `Pod can not be created: ${failure.message ?? failure.reason ?? 'Kubernetes rejected it as invalid'}`;
          this.logger.warn('pod rejected as invalid', { jobName, description });
          return errorStatus(jobName, description);
        }
        if (failure?.code !== 409) throw failedTo(`creating pod ${jobName} in namespace ${this.namespace}`, error);
      }
      const existing = await this.status(jobName);
      if (existing) {
        this.logger.info('pod already exists; adopting it', { jobName, phase: existing.phase });
        return existing;
      }
      if (attempt >= 2) throw new Error(`pod ${jobName} keeps existing and vanishing while being created`);
    }
  }

  async status(jobName: string): Promise<ExecutionStatus | undefined> {
    const pod = await this.readPod(jobName);
    return pod ? executionStatusOfPod(pod) : undefined;
  }

  async list(): Promise<ExecutionStatus[]> {
    const { pods } = await this.listPods();
    return pods.map((pod) => executionStatusOfPod(pod));
  }

  watch(listener: (status: ExecutionStatus) => void, onVanished: (jobName: string) => void): () => void {
    const session = new PodWatch({
      kubeConfig: this.kubeConfig,
      namespace: this.namespace,
      labelSelector: this.labelSelector,
      listPods: () => this.listPods(),
      ownDeletions: this.ownDeletions,
      log: this.logger,
      listener,
      onVanished,
    });
    this.activeWatches++;
    this.ownDeletions.tracking = true;
    session.start();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      session.stop();
      if (--this.activeWatches === 0) this.ownDeletions.stopTracking();
    };
  }

  async log(jobName: string): Promise<string> {
    const pod = await this.readPod(jobName);
    // The test container is the first one; a job may have named it something other than "test".
    const container = pod?.spec?.containers[0]?.name;
    if (!pod || !container) return '';
    try {
      return await this.api.readNamespacedPodLog({ name: jobName, namespace: this.namespace, container });
    } catch (error) {
      const failure = apiFailureOf(error);
      // 400: the container has not started, so there is no log yet; 404: the pod went meanwhile.
      if (failure?.code === 400 || failure?.code === 404) return '';
      throw failedTo(`reading the log of pod ${jobName}`, error);
    }
  }

  async abort(jobName: string, gracePeriodMs: number): Promise<void> {
    const gracePeriodSeconds = Math.max(0, Math.ceil(gracePeriodMs / 1000));
    await this.deletePod(jobName, gracePeriodSeconds, 'aborting');
  }

  /**
   * The runner may read pods and their logs, nothing else inside them, so a decorated pod's
   * sidecar prints $ARTIFACTS to its log once the test ends (pod.ts). This waits briefly for the
   * sidecar to finish printing, then unpacks what it printed.
   */
  async artifacts(jobName: string): Promise<{ path: string; content: Buffer }[]> {
    const pod = await this.readPod(jobName);
    if (!pod?.spec?.containers.some((container) => container.name === ARTIFACTS_CONTAINER)) return [];
    const deadline = Date.now() + 30_000;
    for (;;) {
      let log = '';
      try {
        log = await this.api.readNamespacedPodLog({ name: jobName, namespace: this.namespace, container: ARTIFACTS_CONTAINER });
      } catch (error) {
        const failure = apiFailureOf(error);
        if (failure?.code !== 400 && failure?.code !== 404) throw failedTo(`reading the artifacts of pod ${jobName}`, error);
        if (failure.code === 404) return [];
      }
      if (sidecarFinishedPrinting(log)) return artifactsFromSidecarLog(log);
      if (Date.now() > deadline) return [];
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async remove(jobName: string): Promise<void> {
    // Finished pods have nothing left to shut down gracefully.
    await this.deletePod(jobName, 0, 'removing');
  }

  /**
   * The values of the Secrets the job's pod spec references (pod-secrets.ts), read from this
   * namespace (the runner's Role may `get` Secrets there). A Secret that no longer exists
   * has nothing to censor; any other failure throws, so that nothing is stored uncensored.
   */
  async jobSecrets(job: ProwJob): Promise<Buffer[]> {
    const values: Buffer[] = [];
    for (const [name, keys] of secretReferences(job.spec.pod_spec as V1PodSpec | undefined)) {
      try {
        values.push(...secretValues(await this.api.readNamespacedSecret({ name, namespace: this.namespace }), keys));
      } catch (error) {
        if (apiFailureOf(error)?.code !== 404) throw failedTo(`reading secret ${name} to censor job ${job.metadata.name ?? ''}`, error);
        this.logger.warn('a secret the job references does not exist; nothing of it to censor', { jobName: job.metadata.name, secret: name });
      }
    }
    return values;
  }

  /**
   * As Prow's crier writes it once a job is complete: the pod, and the events about this pod (by
   * its uid, so an earlier pod of the same name lends none). Events that cannot be read leave an
   * empty list rather than no file: the pod's own state is the larger part.
   */
  async podInfo(jobName: string): Promise<{ pod: V1Pod; events: CoreV1Event[] } | undefined> {
    const pod = await this.readPod(jobName);
    if (!pod) return undefined;
    const uid = pod.metadata?.uid;
    const fieldSelector = [`involvedObject.kind=Pod`, `involvedObject.name=${jobName}`, ...(uid ? [`involvedObject.uid=${uid}`] : [])].join(',');
    try {
      const list = await this.api.listNamespacedEvent({ namespace: this.namespace, fieldSelector });
      return { pod, events: list.items };
    } catch (error) {
      this.logger.warn('could not read the events of the pod; podinfo.json has none', { jobName, error: failedTo(`listing events of pod ${jobName}`, error).message });
      return { pod, events: [] };
    }
  }

  private async readPod(name: string): Promise<V1Pod | undefined> {
    try {
      return await this.api.readNamespacedPod({ name, namespace: this.namespace });
    } catch (error) {
      if (apiFailureOf(error)?.code === 404) return undefined;
      throw failedTo(`reading pod ${name}`, error);
    }
  }

  private async listPods(): Promise<{ pods: V1Pod[]; resourceVersion: string }> {
    const pods: V1Pod[] = [];
    let resourceVersion = '';
    let continueToken: string | undefined;
    do {
      let page;
      try {
        page = await this.api.listNamespacedPod({
          namespace: this.namespace,
          labelSelector: this.labelSelector,
          limit: LIST_PAGE_SIZE,
          ...(continueToken !== undefined ? { _continue: continueToken } : {}),
        });
      } catch (error) {
        throw failedTo(`listing pods in namespace ${this.namespace}`, error);
      }
      pods.push(...page.items);
      // Every page of one list is the same snapshot; the first page names it.
      if (resourceVersion === '') resourceVersion = page.metadata?.resourceVersion ?? '';
      continueToken = page.metadata?._continue || undefined;
    } while (continueToken !== undefined);
    return { pods, resourceVersion };
  }

  private async deletePod(jobName: string, gracePeriodSeconds: number, action: 'aborting' | 'removing'): Promise<void> {
    this.ownDeletions.begin(jobName);
    let deletedUid: string | undefined;
    try {
      const deleted = await this.api.deleteNamespacedPod({ name: jobName, namespace: this.namespace, gracePeriodSeconds });
      deletedUid = deleted.metadata?.uid;
      this.logger.info(action === 'aborting' ? 'pod deleted to abort its job' : 'pod removed', { jobName, gracePeriodSeconds });
    } catch (error) {
      if (apiFailureOf(error)?.code !== 404) throw failedTo(`${action} pod ${jobName}`, error);
      this.logger.debug('pod already gone', { jobName, action });
    } finally {
      this.ownDeletions.end(jobName, deletedUid);
    }
  }
}
