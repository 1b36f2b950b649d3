import { describe, expect, it } from 'vitest';
import type { CommitStatus } from '../../../shared/github/client';
import { asksToSkip, contextsToSkip } from '../../../shared/plugins/skip';
import { presubmits } from '../../support/jobs';

const jobs = presubmits(`
- name: unit
  always_run: true
- name: optional-e2e
  always_run: true
  optional: true
- name: silent
  always_run: true
  skip_report: true
- name: flaky
  optional: true
- name: docs
  optional: true
`);
const byName = (name: string) => jobs.find((job) => job.name === name)!;

describe('/skip parsing', () => {
  it('takes /skip alone on its line, in any case', () => {
    expect(asksToSkip('/skip')).toBe(true);
    expect(asksToSkip('Flaky again.\n/SKIP\n')).toBe(true);
  });

  it('ignores /skip with arguments, look-alikes and mentions in prose', () => {
    expect(asksToSkip('/skip e2e')).toBe(false);
    expect(asksToSkip('/skipped')).toBe(false);
    expect(asksToSkip('please /skip')).toBe(false);
  });
});

describe('which contexts /skip marks', () => {
  const statuses: CommitStatus[] = [
    { context: 'unit', state: 'failure' },
    { context: 'optional-e2e', state: 'failure' },
    { context: 'silent', state: 'error' },
    { context: 'flaky', state: 'pending' },
    { context: 'docs', state: 'success' },
  ];

  it('marks reported, unsuccessful contexts of jobs that do not block merging', () => {
    expect(contextsToSkip(jobs, statuses, [])).toEqual(['optional-e2e', 'silent', 'flaky']);
  });

  it('leaves required jobs, passing jobs and jobs that never reported alone', () => {
    const skipped = contextsToSkip(jobs, [{ context: 'unit', state: 'failure' }, { context: 'docs', state: 'success' }], []);
    expect(skipped).toEqual([]);
  });

  it('leaves jobs the same comment runs, so /skip with /test runs them instead', () => {
    expect(contextsToSkip(jobs, statuses, [byName('flaky')])).toEqual(['optional-e2e', 'silent']);
  });
});
