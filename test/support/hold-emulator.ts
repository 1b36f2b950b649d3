import { startPubSubEmulator } from '../../shared/runtime/emulators';

/**
 * A process that starts a Pub/Sub emulator, prints its host and holds it, with no signal handlers
 * and no stop: what `cutwater local --emulators` is to its emulators when it is killed. Run by
 * test/shared/runtime/emulators.test.ts.
 */
const emulator = await startPubSubEmulator('keeper-test');
process.stdout.write(`${emulator.host}\n`);
setInterval(() => undefined, 60_000);
