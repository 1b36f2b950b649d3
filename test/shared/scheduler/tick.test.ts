import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../shared/log/logger';
import { runSchedulerTick, tickFailed } from '../../../shared/scheduler/tick';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { buildFromFiles, expectLoaded } from '../../support/config';

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
});
