import { describe, expect, it } from 'vitest';
import type { CommitStatus } from '../../../shared/github/client';
import {
  override,
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
import { yaml } from '../../support/config';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';
import { presubmits } from '../../support/jobs';

const REPO = 'acme/widgets';
const HEAD = 'a'.repeat(40);
const JOBS = yaml(`
  presubmits:
    acme/widgets:
    - name: unit
      context: ci/unit
      always_run: true
      spec:
        containers: [{ image: 'registry.example/test:latest' }]
`);

describe('override plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(settings = ''): Promise<PluginHarness> {
    harness = await startPluginHarness({
      plugins: yaml(`
        plugins:
          acme/widgets:
            plugins: [override]
      `) + settings,
      jobs: JOBS,
      registry: [override],
    });
    harness.github.addPullRequest(REPO, { number: 1, author: 'contributor', headSha: HEAD });
    await seedStatus(harness, { context: 'ci/unit', state: 'failure', description: 'Job failed.' });
    await seedStatus(harness, { context: 'test / Unit Tests', state: 'error', description: 'Crashed.' });
    await seedStatus(harness, { context: 'lint', state: 'success', description: 'Job succeeded.' });
    return harness;
  }

  /** Statuses other systems posted before the command; written straight to the fake. */
  async function seedStatus(target: PluginHarness, status: CommitStatus): Promise<void> {
    const response = await fetch(`${target.github.url}/repos/${REPO}/statuses/${HEAD}`, {
      method: 'POST',
      headers: { authorization: 'token seed', 'content-type': 'application/json' },
      body: JSON.stringify(status),
    });
    expect(response.status).toBe(201);
  }

  const TEAMS = yaml(`
    override:
      allowed_github_teams:
        acme/widgets: [release-managers]
  `);

  const statusOf = (target: PluginHarness, context: string) =>
    target.github.statuses(REPO, HEAD).find((status) => status.context === context);

  const comment = (commenter: string, body: string) => issueComment({ number: 1, commenter, comment: body });

  it('lets a member of an allowed team force contexts green, by context or by job name', async () => {
    const { github, deliver } = await start(TEAMS);
    github.addTeamMember('acme', 'release-managers', 'alice');
    const outcome = await deliver('issue_comment', comment('alice', '/override unit "test / Unit Tests"'));
    expect(outcome.failed).toEqual([]);
    expect(statusOf(harness!, 'ci/unit')).toMatchObject({ state: 'success', description: 'Overridden by alice' });
    expect(statusOf(harness!, 'test / Unit Tests')).toMatchObject({ state: 'success', description: 'Overridden by alice' });
    const [reply] = github.comments(REPO, 1);
    expect(reply?.body).toMatch(/^@alice: Overridden on behalf of alice: ci\/unit, test \/ Unit Tests/);
  });

  it('refuses people the configuration does not allow, saying who may', async () => {
    const { github, deliver } = await start(TEAMS);
    github.addCollaborator(REPO, 'bob');
    await deliver('issue_comment', comment('bob', '/override ci/unit'));
    expect(statusOf(harness!, 'ci/unit')).toMatchObject({ state: 'failure' });
    const [reply] = github.comments(REPO, 1);
    expect(reply?.body).toMatch(
      /^@bob: bob may not use `\/override`: it is reserved for repository administrators, and members of these GitHub teams: acme\/widgets: release-managers\./,
    );
  });

  it("lets repository administrators override, asking GitHub for the user's permission", async () => {
    const { github, deliver } = await start();
    github.addCollaborator(REPO, 'admin-ann', 'admin');
    github.addCollaborator(REPO, 'writer-will');
    await deliver('issue_comment', comment('writer-will', '/override ci/unit'));
    expect(statusOf(harness!, 'ci/unit')).toMatchObject({ state: 'failure' });
    await deliver('issue_comment', comment('admin-ann', '/override ci/unit'));
    expect(statusOf(harness!, 'ci/unit')).toMatchObject({ state: 'success', description: 'Overridden by admin-ann' });
    expect(github.requests.some((request) => request.path.endsWith('/collaborators/admin-ann/permission'))).toBe(true);
  });

  it('lets approvers of the top-level OWNERS file override when allowed', async () => {
    const { github, deliver } = await start('override:\n  allow_top_level_owners: true\n');
    github.setFile(REPO, 'OWNERS', 'approvers:\n- carol\n');
    github.addCollaborator(REPO, 'carol');
    await deliver('issue_comment', comment('carol', '/override ci/unit'));
    expect(statusOf(harness!, 'ci/unit')).toMatchObject({ state: 'success', description: 'Overridden by carol' });
  });

  it('lists the contexts that can be overridden when given one it does not know, changing nothing', async () => {
    const { github, deliver } = await start(TEAMS);
    github.addTeamMember('acme', 'release-managers', 'alice');
    await deliver('issue_comment', comment('alice', '/override ci/unit lint nope'));
    expect(statusOf(harness!, 'ci/unit')).toMatchObject({ state: 'failure' });
    const body = github.comments(REPO, 1)[0]?.body ?? '';
    expect(body).toContain(' - `lint`\n - `nope`');
    expect(body).toContain(' - `ci/unit`\n - `test / Unit Tests`\n - `unit`');
  });

  it('asks for contexts when none are given', async () => {
    const { github, deliver } = await start(TEAMS);
    await deliver('issue_comment', comment('alice', '/override'));
    expect(github.comments(REPO, 1)[0]?.body).toMatch(/^@alice: `\/override` needs the names of the failed status contexts/);
  });

  it('marks sticky overrides, and cancels overrides back to failure', async () => {
    const { github, deliver } = await start(TEAMS);
    github.addTeamMember('acme', 'release-managers', 'alice');
    await deliver('issue_comment', comment('alice', '/override-sticky ci/unit'));
    expect(statusOf(harness!, 'ci/unit')).toMatchObject({
      state: 'success',
      description: 'Overridden by alice [prow:skip-retest]',
    });
    await deliver('issue_comment', comment('alice', '/override-cancel'));
    expect(statusOf(harness!, 'ci/unit')).toMatchObject({ state: 'failure', description: 'Override cancelled by alice' });
    expect(statusOf(harness!, 'lint')).toMatchObject({ state: 'success', description: 'Job succeeded.' });
    const replies = github.comments(REPO, 1).map((reply) => reply.body);
    expect(replies[1]).toMatch(/^@alice: Override cancelled on behalf of alice for: ci\/unit/);
  });

  it('does nothing on issues or closed pull requests', async () => {
    const { github, deliver } = await start(TEAMS);
    github.addTeamMember('acme', 'release-managers', 'alice');
    await deliver('issue_comment', issueComment({ number: 1, state: 'closed', commenter: 'alice', comment: '/override ci/unit' }));
    expect(statusOf(harness!, 'ci/unit')).toMatchObject({ state: 'failure' });
    expect(github.comments(REPO, 1)).toEqual([]);
  });
});

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
