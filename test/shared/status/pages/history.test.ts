import { describe, expect, it } from 'vitest';
import type { ProwJob, ProwJobState } from '../../../../shared/prowjob/schema';
import { jobPageHref } from '../../../../shared/status/links';
import { jobHistoryBody } from '../../../../shared/status/pages/history';

/** A job's history page when there is too little history for a chart. */

const NOW = Date.parse('2026-12-04T04:00:00Z');
const HOSTILE = '<img src=x onerror=alert(1)>';

function run(build: string, state: ProwJobState, status: Partial<NonNullable<ProwJob['status']>> = {}): ProwJob {
  return {
    apiVersion: 'prow.k8s.io/v1',
    kind: 'ProwJob',
    metadata: { name: `unit-${build}` },
    spec: { type: 'presubmit', job: 'unit', refs: { org: 'acme', repo: 'widgets', base_ref: 'main', pulls: [{ number: 12, author: 'dev', sha: 'a'.repeat(40) }] } },
    status: { state, build_id: build, startTime: '2026-12-04T03:50:00Z', completionTime: '2026-12-04T03:53:20Z', ...status },
  } as ProwJob;
}

function text(page: string): string {
  return page.replace(/<[^>]*>/g, ' ').replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/\s+/g, ' ');
}

describe('job history with a single run', () => {
  it('shows a summary of the run in words instead of a one-bar chart', () => {
    const page = String(jobHistoryBody({ job: 'unit', runs: [run('7', 'failure', { description: `Job failed ${HOSTILE}` })], now: NOW }));
    expect(page).not.toContain('<svg');
    const summary = text(/<section class="single-run"[\s\S]*?<\/section>/.exec(page)?.[0] ?? '');
    expect(summary).toContain('The only run stored');
    expect(summary).toContain('Result ✖ failure');
    expect(summary).toContain('Build 7');
    expect(summary).toContain('Repository acme/widgets#12');
    expect(summary).toContain('Started 2026-12-04 03:50:00 UTC');
    expect(summary).toContain('Duration 3m20s');
    expect(summary).toContain(`Description Job failed ${HOSTILE}`);
    expect(summary).toContain('appears once the job has run twice');
    expect(page).toContain(`<dd><a href="${jobPageHref('unit-7')}">7</a></dd>`);
    expect(page).not.toContain('<img');
  });

  it('says a run that has not started has not, rather than showing an empty duration', () => {
    const page = String(jobHistoryBody({ job: 'unit', runs: [run('8', 'triggered', { startTime: undefined, completionTime: undefined })], now: NOW }));
    const summary = text(/<section class="single-run"[\s\S]*?<\/section>/.exec(page)?.[0] ?? '');
    expect(summary).toContain('Result ◌ triggered');
    expect(summary).toContain('Started not started');
    expect(summary).not.toContain('Duration');
  });

  it('draws the chart from two runs on, and on an older page names one run as the only one on that page', () => {
    const two = String(jobHistoryBody({ job: 'unit', runs: [run('9', 'success'), run('8', 'failure')], now: NOW }));
    expect(two).toContain('<svg class="chart"');
    expect(two).not.toContain('single-run');
    const older = text(String(jobHistoryBody({ job: 'unit', runs: [run('1', 'success')], now: NOW, newestHref: '/job-history/unit' })));
    expect(older).toContain('The only run on this page');
    expect(text(String(jobHistoryBody({ job: 'unit', runs: [], now: NOW })))).toContain('No runs of this job are stored.');
  });
});
