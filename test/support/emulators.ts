/** Tests start the real emulators through the same launcher as `cutwater local --emulators`. */
export { freePort, startFirestoreEmulator, startPubSubEmulator, type RunningEmulator } from '../../shared/runtime/emulators';
