import { EmbeddedStore } from '../../shared/store/embedded';
import { testProwJob } from './prowjobs';

/**
 * A child process for the durability test: opens the embedded store in the data directory given
 * as its argument and writes jobs until killed, printing each job's name once the store has
 * acknowledged it. Whatever it printed must be there after a crash.
 */
const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: store-writer DATA_DIR');
const store = EmbeddedStore.open({ dataDir });
process.stdout.write('ready\n');
for (let round = 0; ; round++) {
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, index) => store.jobs.create(testProwJob(), { idempotencyKey: `round-${round}-${index}` })),
  );
  const names = results.map((result) => (result.created ? result.job.job.metadata.name : ''));
  const first = names[0] ?? '';
  await store.jobs.claim(first, { cluster: 'default', holder: 'writer', ttlMs: 60_000 });
  process.stdout.write(`${names.join('\n')}\n`);
}
