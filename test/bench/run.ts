import os from 'node:os';
import { benchBurst } from './burst.bench';
import { benchColdStart } from './cold-start.bench';
import { benchConfig } from './config.bench';
import { benchMergePool } from './merge-pool.bench';
import { benchRunner } from './runner.bench';
import { benchStatus } from './status.bench';
import { benchStore } from './store.bench';
import { benchWebhook } from './webhook.bench';
import { benchCost } from './cost.bench';
import { formatResults } from './measure';

/**
 * `npm run bench`: prints Markdown tables; the figures kept in docs/benchmarks.md come from here.
 * Pass suite names to run only some (e.g. `npm run bench -- config`).
 */
const SUITES: Record<string, () => Promise<string>> = {
  config: async () => formatResults('Configuration (Prow config corpus)', await benchConfig()),
  store: benchStore,
  webhook: benchWebhook,
  runner: benchRunner,
  status: benchStatus,
  burst: benchBurst,
  'merge-pool': benchMergePool,
  'cold-start': benchColdStart,
  cost: benchCost,
};

const wanted = process.argv.slice(2);
console.log(
  `Cutwater benchmarks — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
);
for (const [name, suite] of Object.entries(SUITES)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n${await suite()}`);
}
