import { describe, expect, it } from 'vitest';
import { stage, stageRequests } from '../../../shared/plugins/stage';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `plugins:\n  acme/widgets:\n    plugins: [stage]\n`;

async function start(labels: string[]): Promise<PluginHarness> {
  const harness = await startPluginHarness({ plugins: PLUGINS, registry: [stage] });
  harness.github.addRepoLabels(REPO, ['stage/alpha', 'stage/beta', 'stage/stable']);
  harness.github.addIssue(REPO, { number: 3, author: 'author', labels });
  return harness;
}

describe('stage plugin', () => {
  it.each([
    ['/random-command', [], []],
    ['/remove-stage', [], []],
    ['/stage', [], []],
    ['/stage random', [], []],
    ['/remove-stage random', [], []],
    ['/stage alpha beta', [], []],
    ['/stage alpha random', [], []],
    ['/stage alpha', [], ['stage/alpha']],
    ['/stage beta', [], ['stage/beta']],
    ['/stage stable', [], ['stage/stable']],
    ['/remove-stage alpha', ['stage/alpha'], []],
    ['/remove-stage beta', ['stage/beta'], []],
    ['/remove-stage stable', ['stage/stable'], []],
    ['/stage alpha', ['stage/alpha'], ['stage/alpha']],
    ['/stage beta', ['stage/alpha'], ['stage/beta']],
    ['/stage stable', ['stage/beta'], ['stage/stable']],
    ['/stage stable', ['stage/alpha', 'stage/beta'], ['stage/stable']],
    ['/remove-stage alpha\n/remove-stage beta\n/stage stable', ['stage/alpha', 'stage/beta'], ['stage/stable']],
  ])('%j on an issue labelled %j leaves %j', async (body, before, after) => {
    const { github, deliver } = await start(before);
    const outcome = await deliver('issue_comment', issueComment({ number: 3, commenter: 'anyone', comment: body, isPR: false }));
    expect(outcome.failed).toEqual([]);
    expect(github.labels(REPO, 3).sort()).toEqual(after);
  });

  it('makes no change when the issue is already at the asked stage', async () => {
    const { github, deliver } = await start(['stage/beta']);
    await deliver('issue_comment', issueComment({ number: 3, commenter: 'anyone', comment: '/stage beta', isPR: false }));
    expect(github.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('ignores edited comments', async () => {
    const { github, deliver } = await start([]);
    await deliver('issue_comment', issueComment({ number: 3, commenter: 'anyone', comment: '/stage beta', isPR: false, action: 'edited' }));
    expect(github.labels(REPO, 3)).toEqual([]);
  });

  it('works on pull requests too', async () => {
    const { github, deliver } = await start([]);
    github.addPullRequest(REPO, { number: 4, author: 'author' });
    await deliver('issue_comment', issueComment({ number: 4, commenter: 'anyone', comment: '/stage alpha' }));
    expect(github.labels(REPO, 4)).toEqual(['stage/alpha']);
  });

  it('needs the command on a line of its own, in any case', () => {
    expect(stageRequests('please /stage alpha')).toEqual([]);
    expect(stageRequests('/STAGE Beta  \n')).toEqual([{ remove: false, label: 'stage/beta' }]);
  });
});
