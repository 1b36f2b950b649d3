import { describe, expect, it } from 'vitest';
import { shrug, SHRUG_LABEL, shrugRequest } from '../../../shared/plugins/shrug';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [shrug]
`;

async function start(labels: string[] = []): Promise<PluginHarness> {
  const harness = await startPluginHarness({ plugins: PLUGINS, registry: [shrug] });
  harness.github.addRepoLabels(REPO, [SHRUG_LABEL]);
  harness.github.addPullRequest(REPO, { number: 5, author: 'contributor', labels });
  return harness;
}

function writes(harness: PluginHarness): string[] {
  return harness.github.requests.filter((request) => request.method !== 'GET').map((request) => request.method);
}

describe('shrug plugin', () => {
  it('adds the ¯\\_(ツ)_/¯ label on /shrug', async () => {
    const harness = await start();
    const outcome = await harness.deliver('issue_comment', issueComment({ number: 5, commenter: 'anyone', comment: '/shrug' }));
    expect(outcome.failed).toEqual([]);
    expect(harness.github.labels(REPO, 5)).toEqual([SHRUG_LABEL]);
    expect(harness.github.comments(REPO, 5)).toEqual([]);
  });

  it('does nothing on /shrug when the label is already there', async () => {
    const harness = await start([SHRUG_LABEL]);
    await harness.deliver('issue_comment', issueComment({ number: 5, commenter: 'anyone', comment: '/shrug' }));
    expect(harness.github.labels(REPO, 5)).toEqual([SHRUG_LABEL]);
    expect(writes(harness)).toEqual([]);
  });

  it('removes the label on /unshrug, with a shrug in reply', async () => {
    const harness = await start([SHRUG_LABEL, 'lgtm']);
    await harness.deliver('issue_comment', issueComment({ number: 5, commenter: 'anyone', comment: '/unshrug' }));
    expect(harness.github.labels(REPO, 5)).toEqual(['lgtm']);
    const [reply] = harness.github.comments(REPO, 5);
    expect(reply?.body).toMatch(/^@anyone: ¯\\\\\\_\(ツ\)\\_\/¯/);
  });

  it('does nothing on /unshrug when there is no shrug, or on a comment without a command', async () => {
    const harness = await start();
    await harness.deliver('issue_comment', issueComment({ number: 5, commenter: 'anyone', comment: '/unshrug' }));
    await harness.deliver('issue_comment', issueComment({ number: 5, commenter: 'anyone', comment: 'uh oh' }));
    await harness.deliver('issue_comment', issueComment({ number: 5, commenter: 'anyone', comment: '/shrug', action: 'edited' }));
    expect(harness.github.labels(REPO, 5)).toEqual([]);
    expect(writes(harness)).toEqual([]);
  });

  it('shrugs on issues as well', async () => {
    const harness = await start();
    harness.github.addIssue(REPO, { number: 6, author: 'contributor' });
    await harness.deliver('issue_comment', issueComment({ number: 6, commenter: 'anyone', comment: '/shrug', isPR: false }));
    expect(harness.github.labels(REPO, 6)).toEqual([SHRUG_LABEL]);
  });
});

describe('shrug commands', () => {
  it('reads /shrug and /unshrug alone on a line; /shrug wins when both are there', () => {
    expect(shrugRequest('/shrug')).toBe('shrug');
    expect(shrugRequest('/UNSHRUG  ')).toBe('unshrug');
    expect(shrugRequest('/unshrug\n/shrug')).toBe('shrug');
    expect(shrugRequest('/shrugs')).toBeUndefined();
    expect(shrugRequest('/shrug now')).toBeUndefined();
  });
});
