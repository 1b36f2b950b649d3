import { describe, expect, it } from 'vitest';
import { GitHubClients } from '../../../shared/github/octokit';
import { memoryLogger } from '../../../shared/log/logger';
import { runSchedulerTick, tickFailed } from '../../../shared/scheduler/tick';
import { EmbeddedStore } from '../../../shared/store/embedded';
import type { Store } from '../../../shared/store/store';
import { buildFromFiles, expectLoaded } from '../../support/config';
import { startFakeGitHub } from '../../support/fake-github';
import { testHistoryRecord } from '../../support/tide-records';

/** The scheduler's tick, as far as waking GitHub writers goes (periodics and cleanup have their own tests). */
describe('scheduler tick', () => {
  it('nudges the writer of every installation with GitHub writes due and no writer at work', async () => {
    const store = EmbeddedStore.open();
    await store.outbox.enqueue([
      { id: 'a', installation: '42', write: { kind: 'addLabel', owner: 'acme', repo: 'widgets', number: 1, label: 'lgtm' }, cause: 'test' },
      { id: 'b', installation: 'token', write: { kind: 'addLabel', owner: 'acme', repo: 'gadgets', number: 2, label: 'lgtm' }, cause: 'test' },
    ]);
    const nudged: string[] = [];
    const config = expectLoaded(buildFromFiles({}));
    const result = await runSchedulerTick({ store, config, log: memoryLogger(), nudge: (installation) => nudged.push(installation) }, new Date());
    expect(nudged.sort()).toEqual(['42', 'token']);
    expect(result.writers).toEqual(expect.arrayContaining(['42', 'token']));
    expect(tickFailed(result)).toBe(false);

    const withoutNudge = await runSchedulerTick({ store, config, log: memoryLogger() }, new Date());
    expect(withoutNudge.writers).toBe('off');
    await store.close();
  });

  it('syncs the merge pool when Tide has queries and GitHub is wired, and prunes Tide history past its retention', async () => {
    const github = await startFakeGitHub();
    const store = EmbeddedStore.open();
    const clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'tick-token' }, retryAfterBaseMs: 1, pacing: false });
    github.addPullRequest('acme/widgets', { number: 7, author: 'dev', labels: ['lgtm'], files: [{ filename: 'a.go' }] });
    const old = Date.now() - 40 * 24 * 3_600_000;
    await store.tide.appendHistory([testHistoryRecord(old)]);
    const config = expectLoaded(buildFromFiles({ config: 'tide:\n  queries:\n  - repos: [acme/widgets]\n    labels: [lgtm]\n' }));
    const tide = { github: () => clients.clientForRepository('acme', 'widgets'), githubForOrg: (org: string) => clients.clientForOrg(org) };
    const result = await runSchedulerTick({ store, config, log: memoryLogger(), tide }, new Date());
    // No presubmits: the PR is in the pool and merges as it is, as Prow's tide merges it.
    expect(result.tide).toMatchObject({ pools: 1, merged: 1, errors: 0 });
    expect(github.merges().map((merge) => merge.number)).toEqual([7]);
    expect((await store.tide.listHistory({}, { limit: 10 })).records.map((record) => record.action)).toEqual(['MERGE']);
    expect(tickFailed(result)).toBe(false);
    expect((await runSchedulerTick({ store, config, log: memoryLogger() }, new Date())).tide).toBe('off');
    await github.close();
    await store.close();
  });

  it('reconciles statuses when GitHub is wired: the first tick records the presubmits, a changed config retires a removed context', async () => {
    const github = await startFakeGitHub();
    const store = EmbeddedStore.open();
    const clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'tick-token' }, retryAfterBaseMs: 1, pacing: false });
    github.addPullRequest('acme/widgets', { number: 3, author: 'dev', files: [{ filename: 'a.go' }] });
    const head = github.pullRequest('acme/widgets', 3).headSha;
    await (await clients.clientForRepository('acme', 'widgets')).createStatus('acme', 'widgets', head, { context: 'unit', state: 'failure' });
    const jobs = (names: string[]) =>
      expectLoaded(buildFromFiles({ jobs: { 'jobs.yaml': `presubmits:\n  acme/widgets:\n${names.map((name) => `  - name: ${name}\n    always_run: true\n    optional: true\n    spec: {containers: [{image: x}]}\n`).join('')}` } }));
    const statusReconcile = { github: () => clients.clientForRepository('acme', 'widgets') };

    expect((await runSchedulerTick({ store, config: jobs(['unit', 'lint']), log: memoryLogger(), statusReconcile }, new Date())).statusReconcile).toMatchObject({ outcome: 'recorded' });
    const changed = await runSchedulerTick({ store, config: jobs(['lint']), log: memoryLogger(), statusReconcile }, new Date());
    expect(changed.statusReconcile).toMatchObject({ outcome: 'reconciled', retired: 1, errors: 0 });
    expect(github.statuses('acme/widgets', head).find((status) => status.context === 'unit')?.state).toBe('success');
    expect(tickFailed(changed)).toBe(false);
    expect((await runSchedulerTick({ store, config: jobs(['lint']), log: memoryLogger() }, new Date())).statusReconcile).toBe('off');
    await github.close();
    await store.close();
  });
  it("records its last tick for the health page: one figure per part, and the parts that failed with their errors", async () => {
    const store = EmbeddedStore.open();
    const config = expectLoaded(buildFromFiles({}));
    const at = new Date('2026-12-05T03:00:00Z');
    await runSchedulerTick({ store, config, log: memoryLogger() }, at);
    const first = await store.schedulerTicks.last();
    expect(first?.startedAt).toBe(at.getTime());
    expect(first?.finishedAt).toBeGreaterThanOrEqual(at.getTime());
    expect(first?.summary).toMatchObject({ 'periodics started': 0, 'old jobs deleted': 0, 'reports sent': 'off', 'writers woken': 'off', 'status reconcile': 'off' });
    expect(first?.failed).toEqual([]);

    // An outbox that does not answer: waking the writers fails, the tick still records itself, naming the part.
    const brokenOutbox = new Proxy(store.outbox, { get: () => () => Promise.reject(new Error('outbox unavailable')) });
    const broken = new Proxy(store, { get: (target, key) => (key === 'outbox' ? brokenOutbox : Reflect.get(target, key, target) as unknown) }) as Store;
    const later = new Date(at.getTime() + 60_000);
    const result = await runSchedulerTick({ store: broken, config, log: memoryLogger(), nudge: () => undefined }, later);
    expect(tickFailed(result)).toBe(true);
    const second = await store.schedulerTicks.last();
    expect(second?.startedAt).toBe(later.getTime());
    expect(second?.summary['writers woken']).toBe('failed');
    expect(second?.failed).toEqual([{ part: 'waking GitHub writers', error: 'outbox unavailable' }]);
    await store.close();
  });
});
