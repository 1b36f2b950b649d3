import type { V1Container, V1EnvVar, V1Pod, V1PodSpec, V1Volume } from '@kubernetes/client-node';
import { parseGoDuration } from '../../shared/go/duration';
import { jobEnvironment } from '../../shared/prowjob/environment';
import type { ProwJob, Refs } from '../../shared/prowjob/schema';

/**
 * The pod for a ProwJob, built without I/O: the job's pod spec plus Prow's labels, annotations
 * and environment, and — for `decorate: true` jobs — Prow's layout (/home/prow/go for code, /logs
 * for logs and artifacts) with the refs cloned by an init container running a stock git image, so
 * no Cutwater-specific image has to be trusted inside the build cluster.
 */
export const POD_LABELS = {
  createdByProw: 'created-by-prow',
  id: 'prow.k8s.io/id',
  buildId: 'prow.k8s.io/build-id',
  /** Which runner deployment manages the pod: how a restarted runner finds its pods again. */
  cluster: 'cutwater.dev/cluster',
} as const;

export const CODE_MOUNT = '/home/prow/go';
export const LOGS_MOUNT = '/logs';
export const ARTIFACTS_DIR = `${LOGS_MOUNT}/artifacts`;
export const DEFAULT_CLONE_IMAGE = 'alpine/git:2.47.2';
/** The decorated pod's sidecar that hands $ARTIFACTS to the runner through its log. */
export const ARTIFACTS_CONTAINER = 'artifacts';
/** Written by the wrapped test command when it ends: the sidecar's cue, and the exit code. */
export const DONE_MARKER = `${LOGS_MOUNT}/test-exit-code`;

/**
 * The test command, wrapped so that its end is visible to the sidecar (Prow's entrypoint does this
 * with its own binary; a stock image's sh does it here). The exit code passes through unchanged.
 */
export function wrapTestCommand(command: readonly string[], args: readonly string[]): { command: string[]; args: string[] } {
  return {
    command: ['/bin/sh', '-c', `"$@"; code=$?; echo "$code" > ${DONE_MARKER}; exit "$code"`, '--'],
    args: [...command, ...args],
  };
}

/**
 * The sidecar's script: wait for the test to end, then print $ARTIFACTS as a base64 tar between
 * markers. The runner can read pod logs but nothing else in the pod (its RBAC is pods and
 * pods/log), so the log is the way out.
 */
export const ARTIFACTS_SCRIPT = [
  `while [ ! -f ${DONE_MARKER} ]; do sleep 1; done`,
  'echo "--- cutwater artifacts (base64 tar) ---"',
  `tar -cf - -C ${ARTIFACTS_DIR} . | base64`,
  'echo "--- end of artifacts ---"',
].join('\n');

export interface PodOptions {
  namespace: string;
  buildId: string;
  cluster: string;
  cloneImage?: string;
}

/** Quotes a value for POSIX sh: refs come from webhooks and must never be able to run commands. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Where Prow's clonerefs puts a repository: src/<path_alias> or src/github.com/<org>/<repo>. */
export function repositoryPath(refs: Refs): string {
  return `${CODE_MOUNT}/src/${refs.path_alias || `github.com/${refs.org}/${refs.repo}`}`;
}

function cloneUri(refs: Refs): string {
  return refs.clone_uri || refs.repo_link?.replace(/\/?$/, '.git') || `https://github.com/${refs.org}/${refs.repo}.git`;
}

/**
 * A shell script cloning each refs as Prow's clonerefs does: the base ref at its SHA, then each
 * pull request merged (or rebased, per the refs' merge method) on top, in order.
 */
export function cloneScript(allRefs: readonly Refs[]): string {
  const lines = ['set -eu', 'git config --global user.name "Cutwater"', 'git config --global user.email "cutwater@localhost"', 'git config --global --add safe.directory "*"'];
  for (const refs of allRefs) {
    const dir = shellQuote(repositoryPath(refs));
    const uri = shellQuote(cloneUri(refs));
    const depth = refs.clone_depth && refs.clone_depth > 0 ? ` --depth ${Math.floor(refs.clone_depth)}` : '';
    const baseRef = shellQuote(refs.base_ref ?? 'HEAD');
    lines.push(
      `mkdir -p ${dir} && cd ${dir}`,
      'git init --quiet',
      `git fetch --quiet${depth} ${uri} ${baseRef}`,
      refs.base_sha ? `git checkout --quiet ${shellQuote(refs.base_sha)}` : 'git checkout --quiet FETCH_HEAD',
    );
    for (const pull of refs.pulls ?? []) {
      const pullRef = shellQuote(pull.ref || `pull/${pull.number}/head`);
      lines.push(`git fetch --quiet ${uri} ${pullRef}`);
      const sha = shellQuote(pull.sha || 'FETCH_HEAD');
      if ((refs as { repo_merge_method?: string }).repo_merge_method === 'rebase') {
        lines.push(`git rebase --quiet ${sha}`);
      } else {
        lines.push(`git merge --quiet --no-ff -m ${shellQuote(`Merge ${pull.sha || `#${pull.number}`}`)} ${sha}`);
      }
    }
    if (!refs.skip_submodules) lines.push('git submodule update --init --recursive --quiet');
  }
  return `${lines.join('\n')}\n`;
}

/** Go durations reach the ProwJob as text ("15s") or, from Go clients, as nanoseconds. */
export function durationMs(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value / 1e6;
  try {
    return parseGoDuration(value);
  } catch {
    return undefined;
  }
}

function envList(env: Record<string, string>): V1EnvVar[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

/** The job's own env minus what the runner owns, then the runner's: config cannot spoof JOB_SPEC. */
function withEnvironment(container: V1Container, env: Record<string, string>): V1Container {
  const own = (container.env ?? []).filter((entry) => !(entry.name in env));
  return { ...container, env: [...own, ...envList(env)] };
}

export function podForJob(job: ProwJob, options: PodOptions): V1Pod {
  const name = job.metadata.name;
  if (!name) throw new Error('a ProwJob without metadata.name cannot have a pod');
  const podSpec = job.spec.pod_spec as V1PodSpec | undefined;
  if (!podSpec || podSpec.containers.length === 0) throw new Error(`ProwJob ${name} has no pod_spec with containers`);
  const spec: V1PodSpec = structuredClone(podSpec);
  spec.restartPolicy = 'Never';
  // Prow names a job's nameless container "test"; job configs usually leave it out.
  spec.containers = spec.containers.map((container, index) => ({
    ...container,
    name: container.name || (index === 0 ? 'test' : `test-${index}`),
  }));
  const env = jobEnvironment(job, options.buildId);

  const decorate = job.spec.decoration_config !== undefined && job.spec.decoration_config !== null;
  if (decorate) {
    const allRefs = [...(job.spec.refs ? [job.spec.refs] : []), ...(job.spec.extra_refs ?? [])];
    const volumes: V1Volume[] = [
      { name: 'code', emptyDir: {} },
      { name: 'logs', emptyDir: {} },
    ];
    spec.volumes = [...(spec.volumes ?? []), ...volumes];
    env.ARTIFACTS = ARTIFACTS_DIR;
    env.GOPATH = CODE_MOUNT;
    const mounts = [
      { name: 'code', mountPath: CODE_MOUNT },
      { name: 'logs', mountPath: LOGS_MOUNT },
    ];
    const workingRefs = allRefs.find((refs) => refs.workdir) ?? allRefs[0];
    if (allRefs.length > 0) {
      spec.initContainers = [
        {
          name: 'clonerefs',
          image: options.cloneImage ?? DEFAULT_CLONE_IMAGE,
          command: ['sh', '-c', cloneScript(allRefs)],
          volumeMounts: mounts,
          env: [{ name: 'HOME', value: '/tmp' }],
        },
        ...(spec.initContainers ?? []),
      ];
    }
    spec.containers = spec.containers.map((container, index) => ({
      ...container,
      volumeMounts: [...(container.volumeMounts ?? []), ...mounts],
      ...(workingRefs && !container.workingDir ? { workingDir: repositoryPath(workingRefs) } : {}),
      // Prow decorates only jobs that give a command; the first container is the test.
      ...(index === 0 && container.command && container.command.length > 0 ? wrapTestCommand(container.command, container.args ?? []) : {}),
    }));
    if (spec.containers[0]?.command?.[0] === '/bin/sh') {
      spec.containers.push({
        name: ARTIFACTS_CONTAINER,
        image: options.cloneImage ?? DEFAULT_CLONE_IMAGE,
        command: ['sh', '-c', ARTIFACTS_SCRIPT],
        volumeMounts: [{ name: 'logs', mountPath: LOGS_MOUNT }],
        resources: { requests: { cpu: '10m', memory: '16Mi' } },
      });
    }
    const graceMs = durationMs(job.spec.decoration_config?.grace_period);
    if (graceMs !== undefined) spec.terminationGracePeriodSeconds = Math.ceil(graceMs / 1000);
  }
  spec.containers = spec.containers.map((container) => (container.name === ARTIFACTS_CONTAINER ? container : withEnvironment(container, env)));

  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: options.namespace,
      labels: {
        ...job.metadata.labels,
        [POD_LABELS.createdByProw]: 'true',
        [POD_LABELS.id]: name,
        [POD_LABELS.buildId]: options.buildId,
        [POD_LABELS.cluster]: options.cluster,
      },
      annotations: { ...job.metadata.annotations },
    },
    spec,
  };
}
