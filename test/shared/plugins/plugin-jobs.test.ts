import { jobNameForKey } from '../../../shared/prowjob/names';
import { describe, expect, it } from 'vitest';
import { pluginJobsOf } from '../../../shared/plugins/plugin-jobs';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { testProwJob } from '../../support/prowjobs';

describe('the ProwJob operations plugins see', () => {
  it('creates a job once per key, finds a pull request’s jobs, and aborts only what is still running', async () => {
    const store = EmbeddedStore.open();
    try {
      const jobs = pluginJobsOf(store.jobs);
      const unit = testProwJob({ job: 'unit', pull: 7 });
      const created = await jobs.create(unit, 'delivery-1/unit');
      expect(created.created).toBe(true);
      // Named by its key, so a redelivery names the same job.
      expect(created.job?.job.metadata.name).toBe(jobNameForKey('delivery-1/unit'));
      expect((await jobs.create(testProwJob({ job: 'unit', pull: 7 }), 'delivery-1/unit')).created).toBe(false);
      await jobs.create(testProwJob({ job: 'lint', pull: 7 }), 'delivery-1/lint');
      await jobs.create(testProwJob({ job: 'unit', pull: 8 }), 'delivery-2/unit');

      expect((await jobs.ofPullRequest('acme/widgets', 7)).map((stored) => stored.job.spec.job).sort()).toEqual(['lint', 'unit']);
      expect((await jobs.ofPullRequest('acme/widgets', 7, { job: 'unit' })).map((stored) => stored.job.metadata.name)).toEqual([
        jobNameForKey('delivery-1/unit'),
      ]);

      const name = jobNameForKey('delivery-1/unit');
      expect(await jobs.abort(name, 'Aborted by trigger plugin.')).toBe(true);
      const [aborted] = await jobs.ofPullRequest('acme/widgets', 7, { job: 'unit' });
      expect(aborted?.job.status?.state).toBe('aborted');
      expect(aborted?.job.status?.description).toBe('Aborted by trigger plugin.');
      expect(await jobs.abort(name, 'again')).toBe(false);
      expect(await jobs.abort('no-such-job', 'gone')).toBe(false);
    } finally {
      await store.close();
    }
  });
});
