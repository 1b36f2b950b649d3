import { describe, expect, it } from 'vitest';
import { blockedByIssues, jobsNotSucceeded, notMergeable, retesting } from '../../../shared/tide/status-text';

describe('the tide status description', () => {
  it('words what is missing as Prow does', () => {
    expect(notMergeable()).toBe('Not mergeable.');
    expect(notMergeable(jobsNotSucceeded(['unit']))).toBe('Not mergeable. Job unit has not succeeded.');
    expect(notMergeable(jobsNotSucceeded(['unit', 'lint', 'unit']))).toBe('Not mergeable. Jobs lint, unit have not succeeded.');
    expect(notMergeable(blockedByIssues([123]))).toBe('Not mergeable. Merging is blocked by issue 123.');
    expect(notMergeable(blockedByIssues([1, 2]))).toBe('Not mergeable. Merging is blocked by issues 1, 2.');
    expect(retesting(['unit', 'e2e'])).toBe('Not mergeable. Retesting: e2e unit');
  });

  it('keeps at least one job name and never passes 140 characters', () => {
    expect(jobsNotSucceeded(['a-very-long-job-name-that-alone-exceeds-fifty-characters-easily', 'b'])).toBe(
      'Job a-very-long-job-name-that-alone-exceeds-fifty-characters-easily has not succeeded.',
    );
    const long = notMergeable(jobsNotSucceeded(['y'.repeat(300)]));
    expect(long).toHaveLength(140);
    expect(retesting(Array.from({ length: 20 }, (_, i) => `job-${i}`))).toBe('Not mergeable. Retesting 20 jobs.');
  });
});
