import { describe, expect, it } from 'vitest';
import {
  CLASSIC_PROJECTS_GONE,
  INVALID_ARGUMENTS,
  maintainerTeamId,
  NO_MAINTAINER_TEAM,
  parseProjectCommand,
  project,
} from '../../../shared/plugins/project';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'kubernetes/kubernetes';
const PROJECT_CONFIG = `
project_config:
  project_org_configs:
    kubernetes:
      org_maintainers_team_id: 3162587
      org_default_column_map:
        KEP Implementation Tracking: To do
      project_repo_configs:
        kubernetes:
          repo_maintainers_team_id: 2460384
`;

async function start(withConfig = true): Promise<PluginHarness> {
  const harness = await startPluginHarness({
    plugins: `plugins:\n  kubernetes:\n    plugins: [project]\n  other:\n    plugins: [project]\n${withConfig ? PROJECT_CONFIG : ''}`,
    registry: [project],
  });
  harness.github.addIssue(REPO, { number: 5, author: 'author' });
  harness.github.addIssue('other/repo', { number: 5, author: 'author' });
  return harness;
}

describe('project plugin', () => {
  it('explains that classic projects are gone', async () => {
    const { github, deliver } = await start();
    const outcome = await deliver('issue_comment', issueComment({ number: 5, repo: REPO, commenter: 'member', comment: '/project 0.5.0 To do', isPR: false }));
    expect(outcome.failed).toEqual([]);
    const [reply] = github.comments(REPO, 5);
    expect(reply?.body).toContain('@member: ');
    expect(reply?.body).toContain(CLASSIC_PROJECTS_GONE);
    expect(github.labels(REPO, 5)).toEqual([]);
  });

  it('answers a command without arguments with the usage', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 5, repo: REPO, commenter: 'member', comment: '/project  ', isPR: false }));
    expect(github.comments(REPO, 5)[0]?.body).toContain(INVALID_ARGUMENTS);
  });

  it('says when the org has no maintainer team', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 5, repo: 'other/repo', commenter: 'member', comment: '/project 0.5.0', isPR: false }));
    expect(github.comments('other/repo', 5)[0]?.body).toContain(NO_MAINTAINER_TEAM);
  });

  it('ignores edited comments, the bot itself, and comments without the command', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 5, repo: REPO, commenter: 'member', comment: '/project 0.5.0', isPR: false, action: 'edited' }));
    await deliver('issue_comment', issueComment({ number: 5, repo: REPO, commenter: 'cutwater-bot', comment: '/project 0.5.0', isPR: false }));
    await deliver('issue_comment', issueComment({ number: 5, repo: REPO, commenter: 'member', comment: 'see /project 0.5.0', isPR: false }));
    expect(github.comments(REPO, 5)).toEqual([]);
  });

  it.each([
    ['/project 0.5.0', { project: '0.5.0', column: '', clear: false }],
    ['/project 0.5.0 To do', { project: '0.5.0', column: 'To do', clear: false }],
    ['/project "KEP Implementation Tracking" \'In Progress\'', { project: 'KEP Implementation Tracking', column: 'In Progress', clear: false }],
    ['/project clear 0.4.0', { project: '0.4.0', column: '', clear: true }],
    ['/project "a" "b" "c"', { problem: INVALID_ARGUMENTS }],
  ])('parses %j as Prow does', (body, expected) => {
    expect(parseProjectCommand(body)).toEqual(expected);
  });

  it('finds the maintainer team for the repo before the org', () => {
    const config = { project_org_configs: { k: { org_maintainers_team_id: 1, project_repo_configs: { r: { repo_maintainers_team_id: 2 } } } } };
    expect(maintainerTeamId(config, 'k', 'r')).toBe(2);
    expect(maintainerTeamId(config, 'k', 'other')).toBe(1);
    expect(maintainerTeamId(config, 'x', 'r')).toBeUndefined();
  });
});
