import { describe, expect, it } from 'vitest';
import type { ProwJob, ProwJobState } from '../../../../shared/prowjob/schema';
import { configIndex } from '../../../../shared/status/config-index';
import type { JobListRequest } from '../../../../shared/status/job-search';
import { jobListBody, jobRows, relativeTime } from '../../../../shared/status/pages/job-list';
import { buildFromFiles, expectLoaded, yaml } from '../../../support/config';

/**
 * The job list's table as a reader scans it: when each run started (in a zone, and how long ago),
 * how long it ran, where it ran, and the filter form's hints.
 */

const NOW = Date.parse('2026-12-04T03:16:41Z');

function job(name: string, state: ProwJobState, status: Partial<NonNullable<ProwJob['status']>>, cluster?: string): ProwJob {
  return {
    apiVersion: 'prow.k8s.io/v1',
    kind: 'ProwJob',
    metadata: { name },
    spec: { type: 'periodic', job: name, ...(cluster ? { cluster } : {}) },
    status: { state, ...status },
  } as ProwJob;
}

function cells(row: string): string[] {
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((match) => match[1] ?? '');
}

function rowOf(one: ProwJob): string[] {
  return cells(String(jobRows([one], NOW)));
}

function headings(body: string): string[] {
  return [...body.matchAll(/<th scope="col"[^>]*>([^<]*)<\/th>/g)].map((match) => match[1] ?? '');
}

function body(jobs: readonly ProwJob[], knownRepos: string[] = [], knownJobs: string[] = [], knownClusters: string[] = [], request: JobListRequest = {}): string {
  return String(
    jobListBody({
      request,
      result: { jobs: jobs.map((one) => ({ job: one, revision: 1, createdAt: NOW, updatedAt: NOW })), scanned: jobs.length, budgetExhausted: false },
      now: NOW,
      knownRepos,
      knownJobs,
      knownClusters,
    }),
  );
}

describe('the job list', () => {
  it('gives the start time as an ISO instant with its zone, and how long ago it was', () => {
    const cellsOfRow = rowOf(job('nightly', 'success', { startTime: '2026-12-04T03:11:41Z', completionTime: '2026-12-04T03:13:00Z' }));
    const started = cellsOfRow[headings(body([])).indexOf('Started')] ?? '';
    expect(started).toContain('<time datetime="2026-12-04T03:11:41.000Z">2026-12-04 03:11:41 UTC</time>');
    expect(started).toContain('5 min ago');
    expect(started).toContain('data-ago="2026-12-04T03:11:41.000Z"');
  });

  it('shows no duration for a job that is waiting to start, however long it waits', () => {
    const waiting = job('queued', 'triggered', { startTime: '2026-12-04T01:00:00Z' });
    const duration = rowOf(waiting)[headings(body([])).indexOf('Duration')] ?? '';
    expect(duration).toContain('not started');
    expect(duration).not.toMatch(/\d+h/);
    const running = job('running', 'pending', { startTime: '2026-12-04T03:00:00Z', pendingTime: '2026-12-04T03:00:05Z' });
    expect(rowOf(running)[headings(body([])).indexOf('Duration')]).toBe('16m41s');
  });

  it('has a cluster column naming where each job ran', () => {
    const names = headings(body([]));
    expect(names).toContain('Cluster');
    const row = rowOf(job('build', 'success', { startTime: '2026-12-04T03:00:00Z', completionTime: '2026-12-04T03:01:00Z' }, 'build-eu'));
    expect(row[names.indexOf('Cluster')]).toBe('build-eu');
    expect(row).toHaveLength(names.length);
    expect(String(jobRows([], NOW))).toContain(`colspan="${names.length}"`);
  });

  it('sizes the search field to its hint, so the hint is not cut off', () => {
    const input = /<input type="search"[^>]*>/.exec(body([]))?.[0] ?? '';
    const placeholder = /placeholder="([^"]*)"/.exec(input)?.[1] ?? '';
    const size = Number(/size="(\d+)"/.exec(input)?.[1]);
    expect(placeholder.length).toBeGreaterThan(0);
    expect(size).toBeGreaterThanOrEqual(placeholder.length);
  });

  it('says how long ago in words a reader expects', () => {
    expect(relativeTime(NOW - 10_000, NOW)).toBe('just now');
    expect(relativeTime(NOW - 5 * 60_000, NOW)).toBe('5 min ago');
    expect(relativeTime(NOW - 3 * 3_600_000, NOW)).toBe('3 h ago');
    expect(relativeTime(NOW - 3 * 86_400_000, NOW)).toBe('3 days ago');
  });

  it('offers filter choices from the config: repositories and jobs to pick, states and clusters to choose', () => {
    const page = body([], ['acme/widgets'], ['unit', 'lint'], ['build-eu', 'default'], { cluster: 'build-eu' });
    expect(page).toMatch(/<input type="text" name="repo" value="" list="known-repos"/);
    expect(page).toContain('<datalist id="known-repos"><option value="acme/widgets"></datalist>');
    expect(page).toMatch(/<input type="text" name="job" value="" list="known-jobs"/);
    expect(page).toContain('<datalist id="known-jobs"><option value="unit"><option value="lint"></datalist>');
    expect(page).toMatch(/<select name="state"><option value="">any<\/option>(<option>\w+<\/option>){7}<\/select>/);
    expect(page).toContain('<select name="cluster"><option value="">any</option><option selected>build-eu</option><option>default</option></select>');
    // A cluster from the URL that the config does not name stays shown as the filter in force.
    expect(body([], [], [], ['default'], { cluster: 'gone' })).toContain('<option selected>gone</option>');
  });

  it('draws those choices only from jobs the page may show', () => {
    const config = expectLoaded(
      buildFromFiles({
        config: yaml(`
          deck:
            hidden_repos: [secret-org]
        `),
        jobs: {
          'jobs.yaml': yaml(`
            presubmits:
              acme/widgets:
              - name: unit
                cluster: build-eu
                spec: {containers: [{image: busybox}]}
              - name: quiet
                hidden: true
                cluster: hidden-cluster
                spec: {containers: [{image: busybox}]}
              secret-org/vault:
              - name: vault-unit
                cluster: vault-cluster
                spec: {containers: [{image: busybox}]}
            periodics:
            - name: nightly
              interval: 24h
              spec: {containers: [{image: busybox}]}
          `),
        },
      }),
    );
    const index = configIndex(config);
    expect(index.shownJobNames).toEqual(['nightly', 'unit']);
    expect(index.shownClusters).toEqual(['build-eu', 'default']);
  });
  it('sums up the listed jobs per state in a small histogram, readable as text, longest bar for the commonest state', () => {
    const listed = [
      job('a', 'success', {}),
      job('b', 'failure', {}),
      job('c', 'success', {}),
      job('d', 'success', {}),
      job('e', 'pending', {}),
      job('f', 'failure', {}),
    ];
    const page = body(listed);
    const histogram = /<figure class="results">[\s\S]*?<\/figure>/.exec(page)?.[0] ?? '';
    expect(histogram).toContain('Results of the 6 jobs listed');
    const entries = [...histogram.matchAll(/<li><span class="state state-(\w+)">([^<]*)<\/span>[\s\S]*?style="width:([\d.]+)%"[\s\S]*?<span class="count">(\d+)<\/span><\/li>/g)].map((match) => ({
      state: match[1],
      label: match[2],
      width: Number(match[3]),
      count: Number(match[4]),
    }));
    // States in the schema's order, only those present; the bars are decoration beside the words and numbers.
    expect(entries).toEqual([
      { state: 'pending', label: '◔ running', width: 33.3, count: 1 },
      { state: 'success', label: '✔ success', width: 100, count: 3 },
      { state: 'failure', label: '✖ failure', width: 66.7, count: 2 },
    ]);
    expect(histogram).toMatch(/class="track state-success" aria-hidden="true"/);
    // Above the table, and absent when nothing is listed.
    expect(page.indexOf('class="results"')).toBeLessThan(page.indexOf('<table'));
    expect(body([])).not.toContain('class="results"');
  });
});
