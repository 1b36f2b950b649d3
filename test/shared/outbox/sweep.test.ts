import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../shared/log/logger';
import { wakeWriters } from '../../../shared/outbox/sweep';
import { StaleWriteWarnings } from '../../../shared/outbox/writer';
import { EmbeddedStore } from '../../../shared/store/embedded';

const START = Date.UTC(2026, 0, 5, 9, 0, 0);

function setUp() {
  let now = START;
  const store = EmbeddedStore.open({ now: () => now });
  const log = memoryLogger();
  const warnings = new StaleWriteWarnings(log, () => now);
  const enqueue = (id: string, installation: string) =>
    store.outbox.enqueue([{ id, installation, write: { kind: 'addLabel', owner: 'acme', repo: 'widgets', number: 1, label: id }, cause: 'test' }]);
  return {
    store,
    log,
    warnings,
    enqueue,
    advance: (ms: number) => {
      now += ms;
    },
    warned: () => log.entries.filter((entry) => entry.severity === 'WARNING'),
  };
}

describe('wakeWriters', () => {
  it('nudges every installation with writes due and no writer, and none whose writer is at work', async () => {
    const { store, enqueue } = setUp();
    await enqueue('a', 'token');
    await enqueue('b', '42');
    await enqueue('c', '7');
    await store.outbox.claimWriter('7', 'busy-writer', 60_000);
    const nudged: string[] = [];
    expect((await wakeWriters(store.outbox, (installation) => nudged.push(installation))).sort()).toEqual(['42', 'token']);
    expect(nudged.sort()).toEqual(['42', 'token']);
  });

  it('warns about an installation whose oldest write has waited over a minute, even while its writer waits out a block', async () => {
    const { store, enqueue, warnings, advance, warned } = setUp();
    await enqueue('a', '42');
    const lease = await store.outbox.claimWriter('42', 'blocked-writer', 60_000);
    await store.outbox.block(lease!, START + 3_600_000, 'secondary rate limit');
    await store.outbox.releaseWriter(lease!);
    await wakeWriters(store.outbox, () => undefined, warnings);
    expect(warned()).toEqual([]);
    advance(61_000);
    expect(await wakeWriters(store.outbox, () => undefined, warnings)).toEqual([]);
    expect(warned()).toEqual([
      expect.objectContaining({ installation: '42', oldestWaitMs: 61_000, depth: 1, blockedUntil: new Date(START + 3_600_000).toISOString() }),
    ]);
  });
});

describe('StaleWriteWarnings', () => {
  it('warns at most once a minute per installation', () => {
    const { warnings, advance, warned } = setUp();
    warnings.consider('42', START);
    advance(60_000);
    warnings.consider('42', START);
    expect(warned()).toEqual([]);
    advance(1_000);
    warnings.consider('42', START);
    warnings.consider('7', START);
    advance(30_000);
    warnings.consider('42', START);
    advance(30_000);
    warnings.consider('42', START);
    expect(warned().map((entry) => [entry.installation, entry.oldestWaitMs])).toEqual([
      ['42', 61_000],
      ['7', 61_000],
      ['42', 121_000],
    ]);
  });
});
