import { describe, expect, it } from 'vitest';
import {
  MERGE_COMMITS_LABEL,
  MERGE_COMMITS_NOTICE,
  mergeCommitBlocker,
  mergeCommitsIn,
} from '../../../shared/plugins/mergecommitblocker';
import type { SeedCommit } from '../../support/fake-github';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const FIRST = '1'.repeat(40);
const MAIN_TIP = 'c'.repeat(40);

const plain: SeedCommit[] = [{ sha: FIRST, message: 'Make widgets faster' }, { message: 'Address review' }];
const withMerge: SeedCommit[] = [
  { sha: FIRST, message: 'Make widgets faster' },
  { message: "Merge branch 'main' into faster", parents: [FIRST, MAIN_TIP] },
];

describe('mergecommitblocker plugin', () => {
  async function start(options: { commits: SeedCommit[]; labels?: string[] }): Promise<PluginHarness> {
    const harness = await startPluginHarness({
      plugins: 'plugins:\n  acme:\n    plugins: [mergecommitblocker]\n',
      registry: [mergeCommitBlocker],
    });
    harness.github.addPullRequest(REPO, { number: 7, author: 'contributor', commits: options.commits, labels: options.labels ?? [] });
    return harness;
  }

  const event = (action: 'opened' | 'reopened' | 'synchronize' | 'labeled' | 'closed' = 'opened') => pullRequest(action, { number: 7 });
  const notices = (harness: PluginHarness) =>
    harness.github.comments(REPO, 7).filter((comment) => comment.body.includes(MERGE_COMMITS_NOTICE));

  it('labels a pull request containing a merge commit and asks for a rebase, once', async () => {
    const harness = await start({ commits: withMerge });
    const outcome = await harness.deliver('pull_request', event());
    expect(outcome.failed).toEqual([]);
    expect(harness.github.labels(REPO, 7)).toEqual([MERGE_COMMITS_LABEL]);
    const [notice, ...others] = notices(harness);
    expect(others).toEqual([]);
    expect(notice?.user).toBe('cutwater-bot');
    expect(notice?.body).toContain('git rebase');

    // Pushing again with the merge commit still there neither labels nor comments twice.
    harness.github.pushPullRequestHead(REPO, 7);
    await harness.deliver('pull_request', event('synchronize'));
    expect(harness.github.labels(REPO, 7)).toEqual([MERGE_COMMITS_LABEL]);
    expect(notices(harness)).toHaveLength(1);
  });

  it('leaves a pull request of ordinary commits alone', async () => {
    const harness = await start({ commits: plain });
    await harness.deliver('pull_request', event('reopened'));
    expect(harness.github.labels(REPO, 7)).toEqual([]);
    expect(harness.github.comments(REPO, 7)).toEqual([]);
  });

  it('removes the label and its notice once a rebase drops the merge commits, keeping other comments', async () => {
    const harness = await start({ commits: withMerge });
    await harness.deliver('pull_request', event());
    harness.github.addComment(REPO, 7, 'reviewer', 'Please rebase: the merge commit would not be accepted.');
    // Prow's own notice, left on the PR before the migration, goes too.
    harness.github.addComment(REPO, 7, 'cutwater-bot', `Adding label \`${MERGE_COMMITS_LABEL}\` because PR contains merge commits, which are not allowed.`);

    harness.github.pushPullRequestHead(REPO, 7, { commits: plain, rebase: true });
    const outcome = await harness.deliver('pull_request', event('synchronize'));
    expect(outcome.failed).toEqual([]);
    expect(harness.github.labels(REPO, 7)).toEqual([]);
    expect(harness.github.comments(REPO, 7).map((comment) => comment.user)).toEqual(['reviewer']);
  });

  it('ignores actions that cannot change the commits', async () => {
    const harness = await start({ commits: withMerge });
    await harness.deliver('pull_request', event('labeled'));
    await harness.deliver('pull_request', event('closed'));
    expect(harness.github.labels(REPO, 7)).toEqual([]);
    expect(harness.github.comments(REPO, 7)).toEqual([]);
  });

  it('counts only commits with more than one parent as merge commits', () => {
    const commit = (sha: string, parents: string[]) => ({ sha, message: sha, parents });
    expect(mergeCommitsIn([commit('a', ['x']), commit('b', ['a', 'y']), commit('c', ['b']), commit('d', ['c', 'e', 'f'])]).map((found) => found.sha)).toEqual([
      'b',
      'd',
    ]);
    expect(mergeCommitsIn([commit('root', [])])).toEqual([]);
  });
});
