import { describe, expect, it } from 'vitest';
import { decideMilestone, milestone, requestedMilestone } from '../../../shared/plugins/milestone';
import { issueComment } from '../../support/payloads';
import { milestonePluginsYaml } from '../../support/milestone-config';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';

describe('milestone plugin', () => {
  async function start(options: { milestone?: string; repoTeam?: boolean } = {}): Promise<PluginHarness> {
    const harness = await startPluginHarness({ plugins: milestonePluginsYaml('milestone', options.repoTeam ?? true), registry: [milestone] });
    const { github } = harness;
    github.addMilestone(REPO, 'v1.0');
    github.addMilestone(REPO, 'v0.9');
    github.addPullRequest(REPO, { number: 7, author: 'contributor', ...(options.milestone ? { milestone: options.milestone } : {}) });
    github.addTeamMember('acme', 'leads', 'sig-lead');
    github.addTeamMember('acme', 'admins', 'default-sig-lead');
    github.addOrgMember('acme', 'sig-follow');
    return harness;
  }

  async function comment(harness: PluginHarness, commenter: string, body: string): Promise<void> {
    const outcome = await harness.deliver('issue_comment', issueComment({ number: 7, commenter, comment: body }));
    expect(outcome.failed).toEqual([]);
  }

  it('sets the milestone when a maintainer asks for one of the repository', async () => {
    const harness = await start();
    await comment(harness, 'sig-lead', '/milestone v1.0');
    expect(harness.github.milestone(REPO, 7)).toBe('v1.0');
  });

  it('reads the command from any line of a longer comment', async () => {
    const harness = await start({ milestone: 'v0.9' });
    await comment(harness, 'sig-lead', 'Foo\n/milestone v1.0\r\n/priority critical-urgent');
    expect(harness.github.milestone(REPO, 7)).toBe('v1.0');
  });

  it.each(['/milestone v2.0', '/milestone abc'])('lists the valid milestones instead of setting %j', async (body) => {
    const harness = await start();
    await comment(harness, 'sig-lead', body);
    expect(harness.github.milestone(REPO, 7)).toBeNull();
    const [reply] = harness.github.comments(REPO, 7);
    expect(reply?.body).toContain('The provided milestone is not valid for this repository. Milestones in this repository: [`v0.9`, `v1.0`]');
    expect(reply?.body).toContain('Use `/milestone clear` to clear the milestone.');
  });

  it('refuses someone outside the maintainers team, naming the team', async () => {
    const harness = await start({ milestone: 'v0.9' });
    await comment(harness, 'sig-follow', '/milestone v1.0');
    await comment(harness, 'sig-follow', '/milestone clear');
    expect(harness.github.milestone(REPO, 7)).toBe('v0.9');
    const replies = harness.github.comments(REPO, 7);
    expect(replies).toHaveLength(2);
    expect(replies[0]?.body).toContain('@sig-follow: You must be a member of the [acme/leads](https://github.com/orgs/acme/teams/leads/members) GitHub team');
    expect(replies[0]?.body).toContain('please contact your SIG leads');
  });

  it('clears the milestone on /milestone clear', async () => {
    const harness = await start({ milestone: 'v1.0' });
    await comment(harness, 'sig-lead', '/milestone clear');
    expect(harness.github.milestone(REPO, 7)).toBeNull();
    expect(harness.github.comments(REPO, 7)).toEqual([]);
  });

  it('falls back to the default team only for repositories without their own', async () => {
    const withDefault = await start({ milestone: 'v0.9', repoTeam: false });
    await comment(withDefault, 'default-sig-lead', 'Foo\n/milestone v1.0\r\n/priority critical-urgent');
    expect(withDefault.github.milestone(REPO, 7)).toBe('v1.0');
    await withDefault.close();

    const withOwn = await start({ milestone: 'v0.9', repoTeam: true });
    await comment(withOwn, 'default-sig-lead', '/milestone v1.0');
    expect(withOwn.github.milestone(REPO, 7)).toBe('v0.9');
  });

  it('works on issues, and ignores edited comments', async () => {
    const harness = await start();
    harness.github.addIssue(REPO, { number: 8, author: 'contributor' });
    await harness.deliver('issue_comment', issueComment({ number: 8, commenter: 'sig-lead', comment: '/milestone v1.0', isPR: false }));
    await harness.deliver('issue_comment', issueComment({ number: 7, commenter: 'sig-lead', comment: '/milestone v1.0', action: 'edited' }));
    expect(harness.github.milestone(REPO, 8)).toBe('v1.0');
    expect(harness.github.milestone(REPO, 7)).toBeNull();
  });
});

describe('milestone decisions', () => {
  it('takes the first /milestone line, case-sensitively, trimmed', () => {
    expect(requestedMilestone('/milestone   v1.2  \n/milestone v1.3')).toBe('v1.2');
    expect(requestedMilestone('/Milestone v1.2')).toBeUndefined();
    expect(requestedMilestone('/milestone')).toBeUndefined();
  });

  it('matches titles exactly', () => {
    const milestones = [{ number: 3, title: 'v1.0', state: 'open' as const }];
    expect(decideMilestone('v1.0', milestones)).toEqual({ kind: 'set', number: 3 });
    expect(decideMilestone('V1.0', milestones)).toEqual({ kind: 'unknown', known: ['v1.0'] });
    expect(decideMilestone('clear', milestones)).toEqual({ kind: 'clear' });
  });
});
