import { describe, expect, it } from 'vitest';
import type { CommitStatus } from '../../../shared/github/client';
import {
  mayOverride,
  overridableNames,
  overrideDescription,
  parseContexts,
  parseOverrideCommand,
  statusesToCancel,
  statusesToOverride,
  unknownContextsMessage,
  whoCanOverride,
} from '../../../shared/plugins/override';
import { presubmits } from '../../support/jobs';

const jobs = presubmits(`
- name: unit
  context: ci/unit
  always_run: true
- name: e2e
  always_run: true
`);

const statuses: CommitStatus[] = [
  { context: 'ci/unit', state: 'failure', description: 'Job failed.' },
  { context: 'e2e', state: 'pending', description: 'Job triggered.' },
  { context: 'lint', state: 'success', description: 'Job succeeded.' },
  { context: 'test / Unit Tests', state: 'error', description: 'Crashed.' },
];

describe('override command parsing', () => {
  it('splits contexts on spaces, except inside double quotes, and drops the quotes', () => {
    expect(parseContexts('ci/unit  e2e')).toEqual(['ci/unit', 'e2e']);
    expect(parseContexts('"test / Unit Tests" lint')).toEqual(['test / Unit Tests', 'lint']);
  });

  it('merges every line of one command kind, and keeps the kinds apart', () => {
    const body = '/override ci/unit\n/override e2e\n/override-sticky lint\n/override-cancel';
    expect(parseOverrideCommand(body, 'override')).toEqual({ contexts: new Set(['ci/unit', 'e2e']), bare: false });
    expect(parseOverrideCommand(body, 'override-sticky')).toEqual({ contexts: new Set(['lint']), bare: false });
    expect(parseOverrideCommand(body, 'override-cancel')).toEqual({ contexts: new Set(), bare: true });
    expect(parseOverrideCommand('/overrider x', 'override')).toBeUndefined();
  });
});

describe('what can be overridden', () => {
  it('offers every unsuccessful context and the name of the job behind it', () => {
    expect([...overridableNames(statuses, jobs)].sort()).toEqual(['ci/unit', 'e2e', 'test / Unit Tests', 'unit']);
  });

  it('overrides a context named directly or through its job, never a passing one', () => {
    const chosen = statusesToOverride(statuses, jobs, new Set(['unit', 'test / Unit Tests', 'lint']));
    expect(chosen.map((status) => status.context)).toEqual(['ci/unit', 'test / Unit Tests']);
  });

  it('lists unknown and known names, sorted, in the reply', () => {
    const message = unknownContextsMessage('override', ['zeta', 'alpha'], ['unit', 'ci/unit']);
    expect(message).toContain(' - `alpha`\n - `zeta`');
    expect(message).toContain(' - `ci/unit`\n - `unit`');
  });

  it('cancels only overrides: all of them, or the named ones', () => {
    const current: CommitStatus[] = [
      { context: 'a', state: 'success', description: overrideDescription('alice', false) },
      { context: 'b', state: 'success', description: overrideDescription('bob', true) },
      { context: 'c', state: 'success', description: 'Job succeeded.' },
    ];
    expect(statusesToCancel(current, { contexts: new Set(), bare: true }).map((status) => status.context)).toEqual(['a', 'b']);
    expect(statusesToCancel(current, { contexts: new Set(['b', 'c']), bare: false }).map((status) => status.context)).toEqual(['b']);
  });

  it('marks sticky overrides with the sentinel Tide honours', () => {
    expect(overrideDescription('alice', false)).toBe('Overridden by alice');
    expect(overrideDescription('alice', true)).toBe('Overridden by alice [prow:skip-retest]');
  });
});

describe('who may override', () => {
  it('describes the grounds configured for the repository', () => {
    expect(whoCanOverride(undefined)).toBe('Repository administrators.');
    const settings = { allow_top_level_owners: true, allowed_github_teams: { 'acme/widgets': ['b', 'a'], acme: ['core'], other: ['x'] } };
    expect(whoCanOverride(settings, 'acme', 'widgets')).toBe(
      'Repository administrators, approvers in the top-level OWNERS file, and members of these GitHub teams: acme/widgets: b a, acme: core.',
    );
  });

  it('accepts any one ground, asking in order and stopping at the first yes', async () => {
    const asked: string[] = [];
    const ground = (name: string, answer: boolean) => () => {
      asked.push(name);
      return Promise.resolve(answer);
    };
    expect(
      await mayOverride({ isRepoAdmin: ground('admin', false), isAllowedTeamMember: ground('team', true), isTopLevelApprover: ground('owners', true) }),
    ).toBe(true);
    expect(asked).toEqual(['admin', 'team']);
    expect(
      await mayOverride({ isRepoAdmin: ground('admin', false), isAllowedTeamMember: ground('team', false), isTopLevelApprover: ground('owners', false) }),
    ).toBe(false);
  });
});
