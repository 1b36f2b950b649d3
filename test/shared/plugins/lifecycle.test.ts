import { describe, expect, it } from 'vitest';
import {
  lifecycle,
  closeDecision,
  lifecycleRequests,
  lifecycleSteps,
  reopenDecision,
} from '../../../shared/plugins/lifecycle';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [lifecycle]
`;
const ISSUE = 11;
const PR = 12;

describe('lifecycle plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(labels: string[] = []): Promise<PluginHarness> {
    harness = await startPluginHarness({ plugins: PLUGINS, registry: [lifecycle] });
    harness.github.addCollaborator(REPO, 'maintainer');
    harness.github.addIssue(REPO, { number: ISSUE, author: 'reporter', labels });
    harness.github.addPullRequest(REPO, { number: PR, author: 'contributor', labels });
    return harness;
  }

  const onIssue = (commenter: string, comment: string, state: 'open' | 'closed' = 'open') =>
    issueComment({ number: ISSUE, author: 'reporter', commenter, comment, isPR: false, state });
  const onPR = (commenter: string, comment: string, state: 'open' | 'closed' = 'open') =>
    issueComment({ number: PR, author: 'contributor', commenter, comment, isPR: true, state });
  const replies = (github: PluginHarness['github'], number: number) => github.comments(REPO, number).map((reply) => reply.body);

  describe('/lifecycle', () => {
    it('lets anyone set a state, replacing the previous one', async () => {
      const { github, deliver } = await start(['lifecycle/frozen', 'kind/bug']);
      const outcome = await deliver('issue_comment', onIssue('passer-by', '/lifecycle stale'));
      expect(outcome.failed).toEqual([]);
      expect(github.labels(REPO, ISSUE).sort()).toEqual(['kind/bug', 'lifecycle/stale']);
    });

    it('removes a state with /remove-lifecycle', async () => {
      const { github, deliver } = await start(['lifecycle/stale']);
      await deliver('issue_comment', onIssue('passer-by', '/remove-lifecycle stale'));
      expect(github.labels(REPO, ISSUE)).toEqual([]);
    });

    it('refuses to freeze a pull request', async () => {
      const { github, deliver } = await start();
      await deliver('issue_comment', onPR('maintainer', '/lifecycle frozen'));
      expect(github.labels(REPO, PR)).toEqual([]);
      expect(replies(github, PR)).toEqual([expect.stringMatching(/^@maintainer: .*lifecycle\/frozen.*pull requests/)]);
    });
  });

  describe('/close', () => {
    it('closes an issue for its author', async () => {
      const { github, deliver } = await start();
      await deliver('issue_comment', onIssue('reporter', '/close'));
      expect(github.issue(REPO, ISSUE).state).toBe('closed');
      expect(replies(github, ISSUE)).toEqual([expect.stringMatching(/^@reporter: Issue closed\./)]);
    });

    it('closes a PR for a collaborator', async () => {
      const { github, deliver } = await start();
      await deliver('issue_comment', onPR('maintainer', '/close'));
      expect(github.issue(REPO, PR).state).toBe('closed');
      expect(replies(github, PR)).toEqual([expect.stringMatching(/^@maintainer: PR closed\./)]);
    });

    it('refuses anyone else while the issue is active', async () => {
      const { github, deliver } = await start(['lifecycle/frozen']);
      await deliver('issue_comment', onIssue('passer-by', '/close'));
      expect(github.issue(REPO, ISSUE).state).toBe('open');
      expect(replies(github, ISSUE)).toEqual([expect.stringMatching(/^@passer-by: Only its author or a collaborator on this repository can close an active issue/)]);
    });

    it('lets anyone close an issue that has gone rotten', async () => {
      const { github, deliver } = await start(['lifecycle/rotten']);
      await deliver('issue_comment', onIssue('passer-by', '/close'));
      expect(github.issue(REPO, ISSUE).state).toBe('closed');
    });

    it('closes issues, not PRs, as not planned', async () => {
      const { github, deliver } = await start();
      await deliver('issue_comment', onIssue('reporter', '/close not-planned'));
      expect(github.issue(REPO, ISSUE).state).toBe('closed');
      expect(github.stateReason(REPO, ISSUE)).toBe('not_planned');
      await deliver('issue_comment', onPR('contributor', '/close not-planned'));
      expect(github.issue(REPO, PR).state).toBe('open');
      expect(replies(github, PR)).toEqual([expect.stringMatching(/^@contributor: Only issues can be closed as not planned/)]);
    });
  });

  it('closes an issue as completed and a PR with no reason, as Prow does', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', onIssue('reporter', '/close'));
    expect(github.stateReason(REPO, ISSUE)).toBe('completed');
    await deliver('issue_comment', onPR('contributor', '/close'));
    expect(github.issue(REPO, PR).state).toBe('closed');
    const patch = github.requests.find((request) => request.method === 'PATCH' && request.path.endsWith(`/issues/${PR}`));
    expect(patch?.body).toEqual({ state: 'closed' });
  });

  it('reopens a not-planned issue without carrying the old reason', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', onIssue('reporter', '/close not-planned'));
    await deliver('issue_comment', onIssue('reporter', '/reopen', 'closed'));
    expect(github.issue(REPO, ISSUE).state).toBe('open');
    expect(github.stateReason(REPO, ISSUE)).not.toBe('not_planned');
  });

  describe('/reopen', () => {
    it('reopens a closed issue for its author', async () => {
      const { github, deliver } = await start();
      await deliver('issue_comment', onIssue('reporter', '/close'));
      await deliver('issue_comment', onIssue('reporter', '/reopen', 'closed'));
      expect(github.issue(REPO, ISSUE).state).toBe('open');
      expect(replies(github, ISSUE)).toEqual([
        expect.stringMatching(/^@reporter: Issue closed\./),
        expect.stringMatching(/^@reporter: Issue reopened\./),
      ]);
    });

    it('refuses anyone but the author and collaborators', async () => {
      const { github, deliver } = await start();
      await deliver('issue_comment', onPR('contributor', '/close'));
      await deliver('issue_comment', onPR('passer-by', '/reopen', 'closed'));
      expect(github.issue(REPO, PR).state).toBe('closed');
      expect(replies(github, PR)[1]).toMatch(/^@passer-by: Only its author or a collaborator on this repository can reopen/);
    });

    it('tells the commenter when GitHub will not reopen a PR', async () => {
      const { github, deliver } = await start();
      await deliver('issue_comment', onPR('contributor', '/close'));
      github.failNext('PATCH', /\/issues\/12$/, {
        status: 422,
        body: { message: 'state cannot be changed. The head repository has been deleted.' },
      });
      const outcome = await deliver('issue_comment', onPR('contributor', '/reopen', 'closed'));
      expect(outcome.failed).toEqual([]);
      expect(github.issue(REPO, PR).state).toBe('closed');
      expect(replies(github, PR)[1]).toMatch(/^@contributor: GitHub would not reopen this PR: .*head repository has been deleted/);
    });

    it('does nothing on an open issue', async () => {
      const { github, deliver } = await start();
      await deliver('issue_comment', onIssue('reporter', '/reopen'));
      expect(github.requests.filter((request) => request.method !== 'GET')).toEqual([]);
    });
  });
});

describe('lifecycle commands', () => {
  it('reads setting and removing each state', () => {
    expect(lifecycleRequests('/lifecycle frozen\n/remove-lifecycle Stale\n/lifecycle active')).toEqual([
      { label: 'lifecycle/frozen', remove: false },
      { label: 'lifecycle/stale', remove: true },
      { label: 'lifecycle/active', remove: false },
    ]);
  });

  it('ignores unknown states and missing ones', () => {
    expect(lifecycleRequests('/lifecycle dormant\n/lifecycle\n/lifecycle  stale')).toEqual([]);
  });
});

describe('lifecycle steps', () => {
  it('replaces any other lifecycle label', () => {
    expect(lifecycleSteps([{ label: 'lifecycle/rotten', remove: false }], false, ['lifecycle/stale', 'kind/bug'])).toEqual([
      { kind: 'change', add: ['lifecycle/rotten'], remove: ['lifecycle/stale'] },
    ]);
  });

  it('does nothing when the label is already set, or is absent for a removal', () => {
    expect(lifecycleSteps([{ label: 'lifecycle/stale', remove: false }], false, ['lifecycle/stale'])).toEqual([]);
    expect(lifecycleSteps([{ label: 'lifecycle/stale', remove: true }], false, [])).toEqual([]);
  });

  it('removes a label that is present', () => {
    expect(lifecycleSteps([{ label: 'lifecycle/stale', remove: true }], false, ['Lifecycle/Stale'])).toEqual([
      { kind: 'change', add: [], remove: ['lifecycle/stale'] },
    ]);
  });

  it('refuses to freeze a pull request, but lets one be unfrozen', () => {
    expect(lifecycleSteps([{ label: 'lifecycle/frozen', remove: false }], true, [])).toMatchObject([{ kind: 'refuse' }]);
    expect(lifecycleSteps([{ label: 'lifecycle/frozen', remove: true }], true, ['lifecycle/frozen'])).toMatchObject([
      { kind: 'change', remove: ['lifecycle/frozen'] },
    ]);
  });

  it('lets each request see the labels the previous one left', () => {
    const steps = lifecycleSteps(
      [
        { label: 'lifecycle/stale', remove: false },
        { label: 'lifecycle/stale', remove: true },
      ],
      false,
      [],
    );
    expect(steps).toEqual([
      { kind: 'change', add: ['lifecycle/stale'], remove: [] },
      { kind: 'change', add: [], remove: ['lifecycle/stale'] },
    ]);
  });
});

describe('/close', () => {
  const stranger = { isPR: false, isAuthor: false, isCollaborator: false, labels: [] };

  it('is for the author and collaborators while the issue is active', () => {
    expect(closeDecision('/close', stranger)).toMatchObject({ kind: 'refuse' });
    expect(closeDecision('/close', { ...stranger, isAuthor: true })).toMatchObject({ kind: 'close', notPlanned: false });
    expect(closeDecision('/close', { ...stranger, isCollaborator: true })).toMatchObject({ kind: 'close' });
  });

  it('is for anyone once the issue is stale or rotten', () => {
    expect(closeDecision('/close', { ...stranger, labels: ['lifecycle/rotten'] })).toMatchObject({ kind: 'close' });
    expect(closeDecision('/close', { ...stranger, labels: ['lifecycle/frozen'] })).toMatchObject({ kind: 'refuse' });
  });

  it('closes issues as not planned, but not pull requests', () => {
    expect(closeDecision('/close not-planned', { ...stranger, isAuthor: true })).toMatchObject({ kind: 'close', notPlanned: true });
    expect(closeDecision('/close not-planned', { ...stranger, isAuthor: true, isPR: true })).toMatchObject({ kind: 'refuse' });
    expect(closeDecision('/close', { ...stranger, isAuthor: true, isPR: true })).toMatchObject({ kind: 'close', message: 'PR closed.' });
  });

  it('ignores /close with other words after it', () => {
    expect(closeDecision('/close this please', { ...stranger, isAuthor: true })).toBeUndefined();
  });
});

describe('/reopen', () => {
  it('is for the author and collaborators', () => {
    expect(reopenDecision('/reopen', { isPR: false, isAuthor: false, isCollaborator: false })).toMatchObject({ kind: 'refuse' });
    expect(reopenDecision('/reopen', { isPR: true, isAuthor: true, isCollaborator: false })).toEqual({
      kind: 'reopen',
      message: 'PR reopened.',
    });
    expect(reopenDecision('/reopen', { isPR: false, isAuthor: false, isCollaborator: true })).toMatchObject({ kind: 'reopen' });
  });

  it('ignores comments without it', () => {
    expect(reopenDecision('/reopened', { isPR: false, isAuthor: true, isCollaborator: true })).toBeUndefined();
  });
});
