import { describe, expect, it } from 'vitest';
import type { Presubmit } from '../../../shared/config/model';
import {
  applyWrites,
  denied,
  fingerprintOf,
  moveWrites,
  planIsEmpty,
  planReconcile,
  recordedPresubmits,
  retiredDescription,
  retireWrites,
  runsOnBranch,
} from '../../../shared/statusreconciler/diff';
import { presubmits, TEST_REPO } from '../../support/jobs';

/**
 * The status reconciler's decisions without I/O: Prow's controller_test cases for added, removed
 * and migrated presubmits, read from real config YAML through the loader, and the migrator's
 * status rules.
 */
function plan(before: string, after: string) {
  const old = recordedPresubmits({ presubmits: new Map([[TEST_REPO, presubmits(before)]]) });
  const current = new Map<string, readonly Presubmit[]>([[TEST_REPO, presubmits(after)]]);
  const result = planReconcile(old, current);
  return {
    trigger: result.trigger.flatMap(({ jobs }) => jobs.map((job) => job.name)),
    retire: result.retire.map(({ job }) => job.context),
    migrate: result.migrate.map(({ from, to }) => `${from.context}->${to.context}`),
    empty: planIsEmpty(result),
  };
}

const REQUIRED = `
- name: old-job
  context: old-context
  always_run: true
`;

describe('status reconciler: added blocking presubmits', () => {
  it('finds nothing when the presubmits did not change', () => {
    expect(plan(REQUIRED, REQUIRED)).toEqual({ trigger: [], retire: [], migrate: [], empty: true });
  });

  it('starts an added required presubmit, but not an optional, non-reporting or manually triggered one', () => {
    const added = (extra: string) => plan(REQUIRED, `${REQUIRED}- name: new-job\n  context: new-context\n${extra}`).trigger;
    expect(added('  always_run: true\n')).toEqual(['new-job']);
    expect(added('  always_run: true\n  optional: true\n')).toEqual([]);
    expect(added('  always_run: true\n  skip_report: true\n')).toEqual([]);
    expect(added('  always_run: false\n')).toEqual([]);
    expect(added('  run_if_changed: "^docs/"\n')).toEqual(['new-job']);
  });

  it('starts a job that begins reporting, not one that goes from optional to required', () => {
    expect(plan(`${REQUIRED}  skip_report: true\n`, REQUIRED).trigger).toEqual(['old-job']);
    expect(plan(`${REQUIRED}  optional: true\n`, REQUIRED).trigger).toEqual([]);
  });

  it('starts a required job whose file filter changed (once, even if reporting changed too), not an optional one', () => {
    const rif = (pattern: string, extra = '') => `- name: old-job\n  context: old-context\n  run_if_changed: "${pattern}"\n${extra}`;
    expect(plan(rif('^old/'), rif('^new/')).trigger).toEqual(['old-job']);
    expect(plan(rif('^old/', '  optional: true\n'), rif('^new/', '  optional: true\n')).trigger).toEqual([]);
    expect(plan(`${REQUIRED}  optional: true\n`, rif('^new/')).trigger).toEqual(['old-job']);
    expect(plan(rif('^old/', '  skip_report: true\n'), rif('^new/')).trigger).toEqual(['old-job']);
  });

  it('does not start a job whose context was renamed: that is a migration', () => {
    expect(plan(REQUIRED, REQUIRED.replace('old-context', 'new-context'))).toMatchObject({ trigger: [], migrate: ['old-context->new-context'] });
  });

  it('ignores repositories that had no presubmits before, as Prow does', () => {
    const result = planReconcile({}, new Map([[TEST_REPO, presubmits(REQUIRED)]]));
    expect(planIsEmpty(result)).toBe(true);
  });
});

describe('status reconciler: removed presubmits', () => {
  it('retires the context of a removed job, required, optional or not reporting', () => {
    const other = '- name: other\n  context: other\n  always_run: true\n';
    expect(plan(`${REQUIRED}${other}`, other).retire).toEqual(['old-context']);
    expect(plan(`${REQUIRED}  optional: true\n${other}`, other).retire).toEqual(['old-context']);
    expect(plan(`${REQUIRED}  skip_report: true\n${other}`, other).retire).toEqual(['old-context']);
  });

  it('retires every context when all presubmits of a repository are gone', () => {
    const result = planReconcile(recordedPresubmits({ presubmits: new Map([[TEST_REPO, presubmits(REQUIRED)]]) }), new Map());
    expect(result.retire.map(({ repo, job }) => `${repo}:${job.context}`)).toEqual([`${TEST_REPO}:old-context`]);
  });

  it('retires nothing when a job only becomes optional, stops reporting, or changes files or context', () => {
    expect(plan(REQUIRED, `${REQUIRED}  optional: true\n`).retire).toEqual([]);
    expect(plan(REQUIRED, `${REQUIRED}  skip_report: true\n`).retire).toEqual([]);
    expect(plan(REQUIRED, REQUIRED.replace('always_run: true', 'run_if_changed: "x"')).retire).toEqual([]);
    expect(plan(REQUIRED, REQUIRED.replace('old-context', 'new-context')).retire).toEqual([]);
  });
});

describe('status reconciler: migrated contexts', () => {
  it('moves the status when a required job reports under a new context', () => {
    expect(plan(REQUIRED, REQUIRED.replace('old-context', 'new-context')).migrate).toEqual(['old-context->new-context']);
  });

  it('moves nothing when the renamed job is optional or not reporting, or the job was removed', () => {
    expect(plan(REQUIRED, `${REQUIRED.replace('old-context', 'new-context')}  optional: true\n`).migrate).toEqual([]);
    expect(plan(REQUIRED, `${REQUIRED.replace('old-context', 'new-context')}  skip_report: true\n`).migrate).toEqual([]);
    expect(plan(REQUIRED, '- name: other\n  always_run: true\n').migrate).toEqual([]);
  });
});

describe('status reconciler: the record and its fingerprint', () => {
  it('keeps only what the decisions read, and fingerprints equal configs equally', () => {
    const jobs = presubmits(`${REQUIRED}  branches: [main]\n- name: lint\n  optional: true\n  run_if_changed: "\\\\.go$"\n`);
    const recorded = recordedPresubmits({ presubmits: new Map([[TEST_REPO, jobs]]) });
    expect(recorded).toEqual({
      [TEST_REPO]: [
        { name: 'old-job', context: 'old-context', always_run: true, branches: ['main'] },
        { name: 'lint', context: 'lint', optional: true, run_if_changed: '\\.go$' },
      ],
    });
    const again = recordedPresubmits({ presubmits: new Map([[TEST_REPO, presubmits(`${REQUIRED}  branches: [main]\n- name: lint\n  optional: true\n  run_if_changed: "\\\\.go$"\n`)]]) });
    expect(fingerprintOf(again)).toBe(fingerprintOf(recorded));
    expect(fingerprintOf(recordedPresubmits({ presubmits: new Map([[TEST_REPO, presubmits(REQUIRED)]]) }))).not.toBe(fingerprintOf(recorded));
  });

  it('matches a recorded job’s branches as Prow’s brancher does', () => {
    expect(runsOnBranch({ name: 'a', context: 'a', branches: ['^main$', 'release-.*'] }, 'release-1.2')).toBe(true);
    expect(runsOnBranch({ name: 'a', context: 'a', branches: ['^main$'] }, 'dev')).toBe(false);
    expect(runsOnBranch({ name: 'a', context: 'a', skip_branches: ['^dev$'] }, 'dev')).toBe(false);
    expect(runsOnBranch({ name: 'a', context: 'a' }, 'anything')).toBe(true);
  });

  it('denies by org or by org/repo', () => {
    expect(denied(['acme'], 'acme/widgets')).toBe(true);
    expect(denied(['acme/widgets'], 'acme/widgets')).toBe(true);
    expect(denied(['acme/gadgets', 'other'], 'acme/widgets')).toBe(false);
    expect(denied(undefined, 'acme/widgets')).toBe(false);
  });
});

describe('status reconciler: status moves', () => {
  const statuses = [
    { context: 'old', state: 'failure' as const, description: 'Job failed.', target_url: 'https://prow.example.com/job/1' },
    { context: 'other', state: 'pending' as const },
  ];

  it('retires a context the commit carries, and only that', () => {
    expect(retireWrites(statuses, 'old')).toEqual([{ context: 'old', state: 'success', description: retiredDescription() }]);
    expect(retireWrites(statuses, 'absent')).toEqual([]);
    expect(retireWrites(applyWrites(statuses, retireWrites(statuses, 'old')), 'old')).toEqual([]);
  });

  it('copies the old status to the new context and retires the old one naming the new', () => {
    const writes = moveWrites(statuses, 'old', 'new');
    expect(writes).toEqual([
      { context: 'new', state: 'failure', description: 'Job failed.', target_url: 'https://prow.example.com/job/1' },
      { context: 'old', state: 'success', description: retiredDescription('new') },
    ]);
    expect(retiredDescription('new')).toContain('"new"');
    // Nothing to move once the new context exists, or without the old one.
    expect(moveWrites(applyWrites(statuses, writes), 'old', 'new')).toEqual([]);
    expect(moveWrites(statuses, 'absent', 'new')).toEqual([]);
    expect(moveWrites(statuses, 'old', 'other')).toEqual([]);
  });

  it('keeps a description within GitHub’s 140 characters', () => {
    expect(retiredDescription('x'.repeat(300)).length).toBeLessThanOrEqual(140);
  });
});
