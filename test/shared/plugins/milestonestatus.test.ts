import { describe, expect, it } from 'vitest';
import { milestonestatus, requestedStatuses, statusLabels } from '../../../shared/plugins/milestonestatus';
import { issueComment } from '../../support/payloads';
import { milestonePluginsYaml } from '../../support/milestone-config';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';

describe('milestonestatus plugin', () => {
  async function start(repoTeam = true): Promise<PluginHarness> {
    const harness = await startPluginHarness({ plugins: milestonePluginsYaml('milestonestatus', repoTeam), registry: [milestonestatus] });
    harness.github.addRepoLabels(REPO, ['status/approved-for-milestone', 'status/in-progress', 'status/in-review']);
    harness.github.addPullRequest(REPO, { number: 7, author: 'contributor' });
    harness.github.addTeamMember('acme', 'leads', 'sig-lead');
    harness.github.addTeamMember('acme', 'admins', 'default-sig-lead');
    harness.github.addOrgMember('acme', 'sig-follow');
    return harness;
  }

  async function comment(harness: PluginHarness, commenter: string, body: string): Promise<void> {
    const outcome = await harness.deliver('issue_comment', issueComment({ number: 7, commenter, comment: body }));
    expect(outcome.failed).toEqual([]);
  }

  it.each(['approved-for-milestone', 'in-progress', 'in-review'])('labels status/%s for a maintainer', async (status) => {
    const harness = await start();
    await comment(harness, 'sig-lead', `/status ${status}`);
    expect(harness.github.labels(REPO, 7)).toEqual([`status/${status}`]);
    expect(harness.github.comments(REPO, 7)).toEqual([]);
  });

  it.each(['approved-for-milestone', 'in-progress', 'in-review'])('refuses /status %s from outside the team, naming it', async (status) => {
    const harness = await start();
    await comment(harness, 'sig-follow', `/status ${status}`);
    expect(harness.github.labels(REPO, 7)).toEqual([]);
    const [reply] = harness.github.comments(REPO, 7);
    expect(reply?.body).toContain('You must be a member of the [acme/leads](https://github.com/orgs/acme/teams/leads/members) GitHub team to add status labels');
  });

  it('ignores unknown and empty statuses', async () => {
    const harness = await start();
    await comment(harness, 'sig-lead', '/status in-valid');
    await comment(harness, 'sig-lead', '/status ');
    expect(harness.github.labels(REPO, 7)).toEqual([]);
    expect(harness.github.comments(REPO, 7)).toEqual([]);
  });

  it('falls back to the default team only for repositories without their own', async () => {
    const withDefault = await start(false);
    await comment(withDefault, 'default-sig-lead', '/status in-progress');
    expect(withDefault.github.labels(REPO, 7)).toEqual(['status/in-progress']);
    await withDefault.close();

    const withOwn = await start(true);
    await comment(withOwn, 'default-sig-lead', '/status in-progress');
    expect(withOwn.github.labels(REPO, 7)).toEqual([]);
  });
});

describe('milestonestatus decisions', () => {
  it('reads every /status line, and labels only known statuses', () => {
    const requested = requestedStatuses('/status in-progress\r\nnote\n/status in-review \n/status bogus\n/Status in-progress');
    expect(requested).toEqual(['in-progress', 'in-review', 'bogus']);
    expect(statusLabels(requested)).toEqual(['status/in-progress', 'status/in-review']);
    expect(requestedStatuses('/status ')).toEqual([]);
  });
});
