import { PROW_FILES } from '../../artifacts/layout';
import { z } from 'zod';
import { html, type SafeHtml } from '../html';
import { formatDuration, timeElement } from '../format';
import { FinishedJsonSchema, StartedJsonSchema } from '../run-artifacts';
import { fileNamed, parseJsonFile, type Lens, type LensFile } from './lens';
import { PODINFO_FILE, podHint, readPodReport } from './podinfo';

/**
 * Prow's metadata lens: the run as its own files record it — the result, when it started and
 * ended and how long it took, the commits it tested, the node, any metadata the job added — with
 * a one-line hint at the likely cause when the pod or the ProwJob explain a failure, and the
 * ProwJob itself folded away for whoever needs every field.
 */

/** Only what the hint needs: the file is shown as written, whatever version of Prow wrote it. */
const ProwJobStatusSchema = z.looseObject({
  status: z.looseObject({ state: z.string().optional(), description: z.string().optional() }).optional(),
});

function isoOfSeconds(seconds: number | undefined): string | undefined {
  return seconds === undefined || !Number.isFinite(seconds) ? undefined : new Date(seconds * 1000).toISOString();
}

/** Nested metadata as `outer.inner` keys; only text values, as Prow shows them. */
function flatten(metadata: Record<string, unknown> | undefined, prefix = ''): [string, string][] {
  const rows: [string, string][] = [];
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (value && typeof value === 'object' && !Array.isArray(value)) rows.push(...flatten(value as Record<string, unknown>, `${prefix}${key}.`));
    else if (typeof value === 'string' && value !== '') rows.push([`${prefix}${key}`, value]);
  }
  return rows;
}

function readJson<T>(file: LensFile | undefined, parse: (value: unknown) => { success: true; data: T } | { success: false }): { value?: T; problem?: string } {
  const parsed = parseJsonFile(file);
  if (parsed.problem || parsed.value === undefined) return parsed.problem ? { problem: parsed.problem } : {};
  const result = parse(parsed.value);
  return result.success ? { value: result.data } : { problem: 'unexpected content' };
}

export const metadataLens: Lens = {
  name: 'metadata',
  title: 'Metadata',
  defaultFiles: { required: ['^(?:started|finished)\\.json$'], optional: ['^(?:podinfo|prowjob)\\.json$'] },
  read: { maxBytes: 5 * 1024 * 1024 },
  render({ files, now, job }) {
    const started = readJson(fileNamed(files, PROW_FILES.started), (value) => StartedJsonSchema.safeParse(value));
    const finishedFile = fileNamed(files, PROW_FILES.finished);
    const finished = readJson(finishedFile, (value) => FinishedJsonSchema.safeParse(value));
    const prowJobFile = fileNamed(files, PROW_FILES.prowJob);
    const prowJob = readJson(prowJobFile, (value) => ProwJobStatusSchema.safeParse(value));
    const podinfo = parseJsonFile(fileNamed(files, PODINFO_FILE));
    const pod = podinfo.value === undefined ? undefined : readPodReport(podinfo.value).report;

    const startedIso = isoOfSeconds(started.value?.timestamp);
    const finishedIso = isoOfSeconds(finished.value?.timestamp ?? undefined);
    const rows: [string, SafeHtml | string][] = [];
    if (finishedFile) {
      const passed = finished.value?.passed ?? (finished.value?.result === undefined ? undefined : finished.value.result === 'SUCCESS');
      const result = finished.value?.result ?? (passed === undefined ? 'unknown' : passed ? 'SUCCESS' : 'FAILURE');
      rows.push(['Result', html`<span class="${passed === true ? 'state-success' : passed === false ? 'state-failure' : ''}">${passed === true ? '✔ ' : passed === false ? '✖ ' : ''}${result}</span>`]);
    } else {
      rows.push(['Result', 'not finished yet']);
    }
    if (startedIso) rows.push(['Started', timeElement(startedIso)]);
    if (finishedIso) rows.push(['Finished', timeElement(finishedIso)]);
    if (startedIso) {
      const end = finishedIso ? Date.parse(finishedIso) : finishedFile ? undefined : now;
      if (end !== undefined) rows.push(['Elapsed', `${formatDuration(end - Date.parse(startedIso))}${finishedIso ? '' : ' so far'}`]);
    }
    for (const [repo, refs] of Object.entries(started.value?.repos ?? {})) rows.push([`Refs ${repo}`, html`<span class="commit">${refs}</span>`]);
    const commit = started.value?.['repo-commit'] ?? finished.value?.revision;
    if (commit) rows.push(['Commit', html`<span class="commit">${commit}</span>`]);
    if (started.value?.pull) rows.push(['Pull', started.value.pull]);
    if (started.value?.node) rows.push(['Node', started.value.node]);
    for (const [key, value] of [...flatten(started.value?.metadata), ...flatten(finished.value?.metadata)]) rows.push([key, value]);

    // Prow prefers the pod's explanation; the ProwJob's description only when it ended in error.
    const pj = prowJob.value ?? job;
    const hint = (pod && podHint(pod)) ?? (pj.status?.state === 'error' && pj.status.description ? `The job could not run: ${pj.status.description}` : undefined);
    const problems = (
      [
        [PROW_FILES.started, started.problem],
        [PROW_FILES.finished, finished.problem],
        [PROW_FILES.prowJob, prowJob.problem],
      ] as const
    ).filter(([, problem]) => problem);
    const prowJobText = prowJob.value ? JSON.stringify(prowJob.value, null, 2) : JSON.stringify(job, null, 2);
    return html`${hint ? html`<p class="notice lens-hint">${hint}</p>` : ''}<dl class="facts">${rows.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>
${problems.map(([path, problem]) => html`<p class="muted">Could not read ${path}: ${problem ?? ''}</p>`)}<details><summary>${prowJob.value ? 'prowjob.json' : 'ProwJob'}</summary><pre class="output">${prowJobText}</pre></details>`;
  },
};
