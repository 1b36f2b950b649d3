import { z } from 'zod';
import { PROW_FILES } from '../../artifacts/layout';
import { html, type SafeHtml } from '../html';
import { timeElement } from '../format';
import { fileNamed, parseJsonFile, type Lens } from './lens';

/**
 * `podinfo.json`: the pod a job ran in and the Kubernetes events about it, in the shape Prow's
 * crier GCS reporter writes (pkg/crier/reporters/gcs/kubernetes `PodReport`: `{pod, events}`, each
 * the Kubernetes API object). Only the fields shown are modelled; everything is optional, since
 * the file may come from any version of any writer.
 */

const StateDetail = z.looseObject({
  reason: z.string().optional(),
  message: z.string().optional(),
  exitCode: z.number().optional(),
  signal: z.number().optional(),
  startedAt: z.string().nullable().optional(),
  finishedAt: z.string().nullable().optional(),
});

const ContainerStatusSchema = z.looseObject({
  name: z.string(),
  image: z.string().optional(),
  ready: z.boolean().optional(),
  restartCount: z.number().optional(),
  state: z
    .looseObject({ waiting: StateDetail.optional(), running: StateDetail.optional(), terminated: StateDetail.optional() })
    .optional(),
});

const ResourceList = z.record(z.string(), z.union([z.string(), z.number()]));

const ContainerSchema = z.looseObject({
  name: z.string(),
  image: z.string().optional(),
  resources: z.looseObject({ requests: ResourceList.optional(), limits: ResourceList.optional() }).optional(),
});

const EventSchema = z.looseObject({
  type: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  count: z.number().optional(),
  firstTimestamp: z.string().nullable().optional(),
  lastTimestamp: z.string().nullable().optional(),
  source: z.looseObject({ component: z.string().optional(), host: z.string().optional() }).optional(),
});

export const PodReportSchema = z.looseObject({
  pod: z
    .looseObject({
      metadata: z.looseObject({ name: z.string().optional(), namespace: z.string().optional() }).optional(),
      spec: z
        .looseObject({
          nodeName: z.string().optional(),
          initContainers: z.array(ContainerSchema).nullable().optional(),
          containers: z.array(ContainerSchema).nullable().optional(),
        })
        .optional(),
      status: z
        .looseObject({
          phase: z.string().optional(),
          reason: z.string().optional(),
          message: z.string().optional(),
          startTime: z.string().nullable().optional(),
          initContainerStatuses: z.array(ContainerStatusSchema).nullable().optional(),
          containerStatuses: z.array(ContainerStatusSchema).nullable().optional(),
        })
        .optional(),
    })
    .nullable()
    .optional(),
  events: z.array(EventSchema).nullable().optional(),
});
export type PodReport = z.infer<typeof PodReportSchema>;
type ContainerStatus = z.infer<typeof ContainerStatusSchema>;
type Container = z.infer<typeof ContainerSchema>;

export const PODINFO_FILE = PROW_FILES.podInfo;

/** The report, or why it could not be read. */
export function readPodReport(content: unknown): { report?: PodReport; problem?: string } {
  const parsed = PodReportSchema.safeParse(content);
  if (parsed.success) return { report: parsed.data };
  const issue = parsed.error.issues[0];
  return { problem: `unexpected content: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}` };
}

const FAILED_MOUNT = /MountVolume\.SetUp failed for volume "(.+?)" : (.+)/;

/**
 * A sentence on why the pod likely failed, for the common causes Prow's metadata lens recognises
 * (images that do not pull, volumes that do not mount, no node to run on, an unhealthy node,
 * init containers that never became ready); undefined when the pod succeeded or nothing fits.
 */
export function podHint(report: PodReport): string | undefined {
  const status = report.pod?.status;
  if (!status || status.phase === 'Succeeded') return undefined;
  // The newest events are the likeliest to explain the end.
  const events = [...(report.events ?? [])].sort((a, b) => Date.parse(b.lastTimestamp ?? '') - Date.parse(a.lastTimestamp ?? '') || 0);
  const statuses = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  for (const container of statuses) {
    const waiting = container.state?.waiting;
    if (waiting && (waiting.reason === 'ImagePullBackOff' || waiting.reason === 'ErrImagePull')) {
      return `The ${container.name} container never started: its image ${container.image ?? ''} could not be pulled. ${waiting.message ?? ''}`.trim();
    }
  }
  if (status.phase === 'Pending') {
    const mounts = events.filter((event) => event.reason === 'FailedMount');
    for (const event of mounts) {
      const match = FAILED_MOUNT.exec(event.message ?? '');
      if (match) return `The pod never started: the volume "${match[1]}" could not be mounted (${match[2]}).`;
    }
    if (mounts.length > 0) return 'The pod never started: one or more of its volumes could not be mounted.';
  }
  if (status.phase === 'Failed' && status.reason === 'MatchNodeSelector') {
    return 'The pod was placed on a node that does not satisfy its node selector, so it could not start.';
  }
  if (status.phase === 'Pending') {
    const scheduling = events.find((event) => event.reason === 'FailedScheduling');
    if (scheduling) return `No node could take the pod; check its resource requests, tolerations and node selector. (${scheduling.message ?? ''})`;
  }
  if (events.some((event) => event.reason === 'FailedCreatePodSandbox' || event.reason === 'FailedSync')) {
    return 'The node the job ran on may have been unhealthy; the pod details below may say more.';
  }
  const notReady = (status.initContainerStatuses ?? []).filter((container) => !container.ready);
  if (notReady.length > 0) return notReady.map((container) => `Init container ${container.name} did not become ready (${stateText(container)}).`).join(' ');
  return undefined;
}

function stateText(container: ContainerStatus): string {
  const state = container.state;
  if (state?.terminated) {
    const detail = state.terminated;
    return ['terminated', detail.exitCode !== undefined ? `exit code ${detail.exitCode}` : '', detail.reason ?? '', detail.message ?? ''].filter(Boolean).join(', ');
  }
  if (state?.waiting) return ['waiting', state.waiting.reason ?? '', state.waiting.message ?? ''].filter(Boolean).join(', ');
  if (state?.running) return 'running';
  return 'unknown';
}

function resources(list: Record<string, string | number> | undefined): string {
  return Object.entries(list ?? {})
    .map(([name, amount]) => `${name}: ${amount}`)
    .join(', ');
}

function containerRows(kind: string, specs: readonly Container[] | null | undefined, statuses: readonly ContainerStatus[] | null | undefined): SafeHtml[] {
  const byName = new Map((statuses ?? []).map((status) => [status.name, status]));
  const names = [...new Set([...(specs ?? []).map((spec) => spec.name), ...(statuses ?? []).map((status) => status.name)])];
  return names.map((name) => {
    const spec = specs?.find((candidate) => candidate.name === name);
    const status = byName.get(name);
    const exitCode = status?.state?.terminated?.exitCode;
    const stateClass = exitCode === undefined ? '' : exitCode === 0 ? 'state-success' : 'state-failure';
    return html`<tr><td>${name}${kind ? html` <span class="muted">${kind}</span>` : ''}</td><td class="commit">${status?.image ?? spec?.image ?? ''}</td><td class="${stateClass}">${status ? stateText(status) : 'no status'}</td><td>${exitCode ?? ''}</td><td>${status?.restartCount ?? ''}</td><td>${resources(spec?.resources?.requests)}</td><td>${resources(spec?.resources?.limits)}</td></tr>`;
  });
}

export const podinfoLens: Lens = {
  name: 'podinfo',
  title: 'Pod',
  defaultFiles: { required: ['^podinfo\\.json$'] },
  read: { maxBytes: 5 * 1024 * 1024, which: (path) => path === PODINFO_FILE },
  render({ files }) {
    const parsed = parseJsonFile(fileNamed(files, PODINFO_FILE));
    const read = parsed.problem ? { problem: parsed.problem } : readPodReport(parsed.value);
    if (!read.report) return html`<p class="muted">Could not read ${PODINFO_FILE}: ${read.problem ?? 'missing'}</p>`;
    const pod = read.report.pod;
    const status = pod?.status;
    const hint = podHint(read.report);
    const facts: [string, SafeHtml | string][] = [];
    if (pod?.metadata?.name) facts.push(['Pod', `${pod.metadata.namespace ? `${pod.metadata.namespace}/` : ''}${pod.metadata.name}`]);
    facts.push(['Phase', status?.phase ?? 'unknown']);
    if (status?.reason || status?.message) facts.push(['Reason', [status.reason, status.message].filter(Boolean).join(': ')]);
    if (pod?.spec?.nodeName) facts.push(['Node', pod.spec.nodeName]);
    if (status?.startTime) facts.push(['Started', timeElement(status.startTime)]);
    const rows = [
      ...containerRows('init', pod?.spec?.initContainers, status?.initContainerStatuses),
      ...containerRows('', pod?.spec?.containers, status?.containerStatuses),
    ];
    const events = read.report.events ?? [];
    return html`${hint ? html`<p class="notice lens-hint">${hint}</p>` : ''}<dl class="facts">${facts.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>
${rows.length > 0 ? html`<h3>Containers</h3><div class="table-wrap"><table><thead><tr><th scope="col">Container</th><th scope="col">Image</th><th scope="col">State</th><th scope="col">Exit code</th><th scope="col">Restarts</th><th scope="col">Requests</th><th scope="col">Limits</th></tr></thead><tbody>${rows}</tbody></table></div>` : ''}
<h3>Events</h3>${
      events.length > 0
        ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Type</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Count</th><th scope="col">Last seen</th></tr></thead><tbody>${events.map(
            (event) => html`<tr><td class="${event.type === 'Warning' ? 'state-failure' : ''}">${event.type ?? ''}</td><td>${event.reason ?? ''}</td><td>${event.message ?? ''}</td><td>${event.count ?? ''}</td><td>${timeElement(event.lastTimestamp ?? event.firstTimestamp ?? undefined)}</td></tr>`,
          )}</tbody></table></div>`
        : html`<p class="muted">No events were recorded.</p>`
    }`;
  },
};
