import { LocalExecutor } from '../../runner/executor/local';
import { ProwJobSchema } from '../../shared/prowjob/schema';

/**
 * A local executor in a process of its own, for tests that crash it as `kill -9` crashes
 * `cutwater local`: it starts the ProwJob given as JSON over the work root given, prints "started"
 * and waits to be killed, leaving its job's processes behind.
 *
 *   node --import tsx test/support/local-executor-process.ts <work root> <ProwJob JSON>
 */
const [workRoot, jobJson] = process.argv.slice(2);
if (!workRoot || !jobJson) throw new Error('usage: local-executor-process.ts <work root> <ProwJob JSON>');
const executor = new LocalExecutor({ workRoot });
await executor.start(ProwJobSchema.parse(JSON.parse(jobJson)));
process.stdout.write('started\n');
setInterval(() => undefined, 60_000);
