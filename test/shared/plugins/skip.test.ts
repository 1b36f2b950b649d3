import { describe, expect, it } from 'vitest';
import type { CommitStatus } from '../../../shared/github/client';
import { skip, asksToSkip, contextsToSkip } from '../../../shared/plugins/skip';
import { yaml } from '../../support/config';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';
import { presubmits } from '../../support/jobs';

const REPO = 'acme/widgets';
const HEAD = 'a'.repeat(40);
const SPEC = "spec: { containers: [{ image: 'registry.example/test:latest' }] }";
const JOBS = yaml(`
  presubmits:
    acme/widgets:
    - name: unit
      always_run: true
      ${SPEC}
    - name: e2e-optional
      always_run: true
      optional: true
      ${SPEC}
    - name: perf
      optional: true
      ${SPEC}
    - name: shadow
      always_run: true
      skip_report: true
      ${SPEC}
    - name: docs
      optional: true
      ${SPEC}
`);

describe('skip plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(statuses: CommitStatus[]): Promise<PluginHarness> {
    harness = await startPluginHarness({
      plugins: yaml(`
        plugins:
          acme/widgets:
            plugins: [skip]
      `),
      jobs: JOBS,
      registry: [skip],
    });
    harness.github.addPullRequest(REPO, { number: 1, author: 'contributor', headSha: HEAD });
    for (const status of statuses) {
      const response = await fetch(`${harness.github.url}/repos/${REPO}/statuses/${HEAD}`, {
        method: 'POST',
        headers: { authorization: 'token seed', 'content-type': 'application/json' },
        body: JSON.stringify(status),
      });
      expect(response.status).toBe(201);
    }
    return harness;
  }

  const FAILING: CommitStatus[] = [
    { context: 'unit', state: 'failure', description: 'Job failed.' },
    { context: 'e2e-optional', state: 'failure', description: 'Job failed.' },
    { context: 'perf', state: 'error', description: 'Job errored.' },
    { context: 'shadow', state: 'pending', description: 'Job triggered.' },
    { context: 'docs', state: 'success', description: 'Job succeeded.' },
    { context: 'external-ci', state: 'failure', description: 'Not a Prow job.' },
  ];

  const stateOf = (target: PluginHarness) =>
    Object.fromEntries(target.github.statuses(REPO, HEAD).map((status) => [status.context, `${status.state}: ${status.description}`]));

  it('marks the failures of non-blocking jobs as skipped, and only those', async () => {
    const target = await start(FAILING);
    const outcome = await target.deliver('issue_comment', issueComment({ number: 1, commenter: 'anyone', comment: '/skip' }));
    expect(outcome.failed).toEqual([]);
    expect(stateOf(target)).toEqual({
      unit: 'failure: Job failed.',
      'e2e-optional': 'success: Skipped',
      perf: 'success: Skipped',
      shadow: 'success: Skipped',
      docs: 'success: Job succeeded.',
      'external-ci': 'failure: Not a Prow job.',
    });
    expect(target.github.comments(REPO, 1)).toEqual([]);
  });

  it('leaves a job alone when the same comment asks to run it', async () => {
    const target = await start(FAILING);
    await target.deliver('issue_comment', issueComment({ number: 1, commenter: 'anyone', comment: '/skip\n/test perf' }));
    expect(stateOf(target)).toMatchObject({ perf: 'error: Job errored.', 'e2e-optional': 'success: Skipped' });
  });

  it('does nothing when every status already passes', async () => {
    const target = await start([{ context: 'e2e-optional', state: 'success', description: 'Job succeeded.' }]);
    await target.deliver('issue_comment', issueComment({ number: 1, commenter: 'anyone', comment: '/skip' }));
    expect(target.github.requests.filter((request) => request.method === 'POST' && request.authorization !== 'token seed')).toEqual([]);
  });

  it('ignores /skip with arguments, and /skip on closed pull requests', async () => {
    const target = await start(FAILING);
    await target.deliver('issue_comment', issueComment({ number: 1, commenter: 'anyone', comment: '/skip perf' }));
    await target.deliver('issue_comment', issueComment({ number: 1, state: 'closed', commenter: 'anyone', comment: '/skip' }));
    expect(stateOf(target)).toMatchObject({ perf: 'error: Job errored.', 'e2e-optional': 'failure: Job failed.' });
  });
});

const jobs = presubmits(`
- name: unit
  always_run: true
- name: optional-e2e
  always_run: true
  optional: true
- name: silent
  always_run: true
  skip_report: true
- name: flaky
  optional: true
- name: docs
  optional: true
`);
const byName = (name: string) => jobs.find((job) => job.name === name)!;

describe('/skip parsing', () => {
  it('takes /skip alone on its line, in any case', () => {
    expect(asksToSkip('/skip')).toBe(true);
    expect(asksToSkip('Flaky again.\n/SKIP\n')).toBe(true);
  });

  it('ignores /skip with arguments, look-alikes and mentions in prose', () => {
    expect(asksToSkip('/skip e2e')).toBe(false);
    expect(asksToSkip('/skipped')).toBe(false);
    expect(asksToSkip('please /skip')).toBe(false);
  });
});

describe('which contexts /skip marks', () => {
  const statuses: CommitStatus[] = [
    { context: 'unit', state: 'failure' },
    { context: 'optional-e2e', state: 'failure' },
    { context: 'silent', state: 'error' },
    { context: 'flaky', state: 'pending' },
    { context: 'docs', state: 'success' },
  ];

  it('marks reported, unsuccessful contexts of jobs that do not block merging', () => {
    expect(contextsToSkip(jobs, statuses, [])).toEqual(['optional-e2e', 'silent', 'flaky']);
  });

  it('leaves required jobs, passing jobs and jobs that never reported alone', () => {
    const skipped = contextsToSkip(jobs, [{ context: 'unit', state: 'failure' }, { context: 'docs', state: 'success' }], []);
    expect(skipped).toEqual([]);
  });

  it('leaves jobs the same comment runs, so /skip with /test runs them instead', () => {
    expect(contextsToSkip(jobs, statuses, [byName('flaky')])).toEqual(['optional-e2e', 'silent']);
  });
});
