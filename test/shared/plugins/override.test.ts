import { describe, expect, it } from 'vitest';
import type { CommitStatus } from '../../../shared/github/client';
import { override } from '../../../shared/plugins/override';
import { yaml } from '../../support/config';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

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
