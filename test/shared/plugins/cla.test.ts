import { describe, expect, it } from 'vitest';
import {
  CLA_CONTEXT,
  CLA_NO_LABEL,
  CLA_YES_LABEL,
  createClaPlugin,
  isCheckClaCommand,
  labelsForCheck,
  labelsForStatus,
  SEARCH_RETRY_DELAY_MS,
} from '../../../shared/plugins/cla';
import { commitStatus, issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const HEAD = 'a'.repeat(40);
const OLD_HEAD = 'b'.repeat(40);

describe('cla plugin', () => {
  let waits: number[] = [];

  async function start(labels: string[] = [], headSha = HEAD): Promise<PluginHarness> {
    waits = [];
    const plugin = createClaPlugin({
      sleep: (milliseconds) => {
        waits.push(milliseconds);
        return Promise.resolve();
      },
    });
    const harness = await startPluginHarness({ plugins: `plugins:\n  acme:\n    plugins: [cla]\n`, registry: [plugin] });
    harness.github.addPullRequest(REPO, { number: 3, author: 'contributor', headSha, labels });
    return harness;
  }

  async function setStatus(harness: PluginHarness, sha: string, state: string): Promise<void> {
    const response = await fetch(`${harness.github.url}/repos/${REPO}/statuses/${sha}`, {
      method: 'POST',
      headers: { authorization: 'token test-token', 'content-type': 'application/json' },
      body: JSON.stringify({ state, context: CLA_CONTEXT }),
    });
    expect(response.ok).toBe(true);
  }

  describe('on a status event', () => {
    it('labels the pull request cncf-cla: yes when the CLA check succeeds on its head', async () => {
      const { github, deliver } = await start();
      const outcome = await deliver('status', commitStatus({ sha: HEAD, context: CLA_CONTEXT, state: 'success' }));
      expect(outcome.failed).toEqual([]);
      expect(github.labels(REPO, 3)).toEqual([CLA_YES_LABEL]);
    });

    it('swaps cncf-cla: no for cncf-cla: yes once the CLA is signed', async () => {
      const { github, deliver } = await start([CLA_NO_LABEL, 'lgtm']);
      await deliver('status', commitStatus({ sha: HEAD, context: CLA_CONTEXT, state: 'success' }));
      expect(github.labels(REPO, 3).sort()).toEqual([CLA_YES_LABEL, 'lgtm']);
    });

    it.each(['failure', 'error'] as const)('swaps cncf-cla: yes for cncf-cla: no on %s', async (state) => {
      const { github, deliver } = await start([CLA_YES_LABEL]);
      await deliver('status', commitStatus({ sha: HEAD, context: CLA_CONTEXT, state }));
      expect(github.labels(REPO, 3)).toEqual([CLA_NO_LABEL]);
    });

    it('does nothing while the CLA check is pending', async () => {
      const { github, deliver } = await start();
      await deliver('status', commitStatus({ sha: HEAD, context: CLA_CONTEXT, state: 'pending' }));
      expect(github.labels(REPO, 3)).toEqual([]);
      expect(github.requests.filter((request) => request.path.startsWith('/search'))).toEqual([]);
    });

    it('ignores other status contexts', async () => {
      const { github, deliver } = await start();
      await deliver('status', commitStatus({ sha: HEAD, context: 'ci/unit', state: 'success' }));
      expect(github.labels(REPO, 3)).toEqual([]);
    });

    it('leaves a pull request alone when the status is for a commit that is no longer its head', async () => {
      const { github, deliver } = await start([CLA_YES_LABEL]);
      github.pushPullRequestHead(REPO, 3, { commits: [{ sha: OLD_HEAD, message: 'first' }, { message: 'second' }] });
      await deliver('status', commitStatus({ sha: OLD_HEAD, context: CLA_CONTEXT, state: 'failure' }));
      expect(github.labels(REPO, 3)).toEqual([CLA_YES_LABEL]);
    });

    it('changes nothing when the label already agrees', async () => {
      const { github, deliver } = await start([CLA_NO_LABEL]);
      await deliver('status', commitStatus({ sha: HEAD, context: CLA_CONTEXT, state: 'failure' }));
      expect(github.labels(REPO, 3)).toEqual([CLA_NO_LABEL]);
      expect(github.requests.filter((request) => request.method !== 'GET')).toEqual([]);
    });

    it('searches again while GitHub has not indexed the commit, then gives up', async () => {
      const { github, deliver } = await start();
      await deliver('status', commitStatus({ sha: 'c'.repeat(40), context: CLA_CONTEXT, state: 'success' }));
      expect(waits).toEqual([SEARCH_RETRY_DELAY_MS, SEARCH_RETRY_DELAY_MS, SEARCH_RETRY_DELAY_MS, SEARCH_RETRY_DELAY_MS]);
      expect(github.labels(REPO, 3)).toEqual([]);
    });
  });

  describe('/check-cla', () => {
    it('adds cncf-cla: yes from the head commit\'s successful CLA status', async () => {
      const harness = await start([CLA_NO_LABEL]);
      await setStatus(harness, HEAD, 'success');
      await harness.deliver('issue_comment', issueComment({ number: 3, commenter: 'contributor', comment: '/check-cla' }));
      expect(harness.github.labels(REPO, 3)).toEqual([CLA_YES_LABEL]);
    });

    it('adds cncf-cla: no from a failed CLA status', async () => {
      const harness = await start([CLA_YES_LABEL]);
      await setStatus(harness, HEAD, 'failure');
      await harness.deliver('issue_comment', issueComment({ number: 3, commenter: 'passer-by', comment: 'please\n/check-cla\n' }));
      expect(harness.github.labels(REPO, 3)).toEqual([CLA_NO_LABEL]);
    });

    it('does nothing while the status is pending, or when there is no CLA status at all', async () => {
      const harness = await start();
      await harness.deliver('issue_comment', issueComment({ number: 3, commenter: 'contributor', comment: '/check-cla' }));
      await setStatus(harness, HEAD, 'pending');
      await harness.deliver('issue_comment', issueComment({ number: 3, commenter: 'contributor', comment: '/check-cla' }));
      expect(harness.github.labels(REPO, 3)).toEqual([]);
    });

    it('ignores closed pull requests and comments without the command', async () => {
      const harness = await start();
      await setStatus(harness, HEAD, 'success');
      await harness.deliver('issue_comment', issueComment({ number: 3, commenter: 'contributor', comment: '/check-cla', state: 'closed' }));
      await harness.deliver('issue_comment', issueComment({ number: 3, commenter: 'contributor', comment: '/check-cla please' }));
      expect(harness.github.labels(REPO, 3)).toEqual([]);
    });
  });
});

describe('cla decisions', () => {
  it('recognises /check-cla alone on a line, in any case', () => {
    expect(isCheckClaCommand('/check-cla')).toBe(true);
    expect(isCheckClaCommand('thanks!\n/CHECK-CLA  \n')).toBe(true);
    expect(isCheckClaCommand('/check-cla now')).toBe(false);
    expect(isCheckClaCommand('run /check-cla')).toBe(false);
  });

  it('relabels only what disagrees with the status', () => {
    expect(labelsForStatus('success', [])).toEqual({ add: [CLA_YES_LABEL], remove: [] });
    expect(labelsForStatus('success', [CLA_YES_LABEL])).toBeUndefined();
    expect(labelsForStatus('error', [CLA_YES_LABEL])).toEqual({ add: [CLA_NO_LABEL], remove: [CLA_YES_LABEL] });
    expect(labelsForStatus('pending', [])).toBeUndefined();
  });

  it('leaves an errored status alone on request', () => {
    expect(labelsForCheck('error', [CLA_YES_LABEL])).toBeUndefined();
    expect(labelsForCheck(undefined, [])).toBeUndefined();
    expect(labelsForCheck('failure', [])).toEqual({ add: [CLA_NO_LABEL], remove: [] });
  });
});
