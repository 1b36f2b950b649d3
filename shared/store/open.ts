import type { Firestore } from '@google-cloud/firestore';
import { EmbeddedStore } from './embedded';
import { FirestoreStore } from './firestore';
import type { Store } from './store';

/**
 * Where a process keeps its state. Each entry point decides this from its own flags and
 * environment (a Cloud Function requires a project; the runner lets Google's libraries find one;
 * local mode uses a data directory unless told to use the emulators); this is the one place that
 * turns the decision into a Store.
 */
export type StoreSettings = FirestoreSettings | EmbeddedSettings;

export type FirestoreSettings =
  | {
      backend: 'firestore';
      /** Google Cloud project; omitted, Google's libraries find it (GOOGLE_CLOUD_PROJECT, the metadata server…). */
      projectId?: string;
      /** host:port of the Firestore emulator; FIRESTORE_EMULATOR_HOST does the same. */
      emulatorHost?: string;
      now?: () => number;
    }
  | {
      backend: 'firestore';
      /** A client the caller already has, made with `ignoreUndefinedProperties: true`; closing the store terminates it. */
      firestore: Firestore;
      now?: () => number;
    };

export interface EmbeddedSettings {
  backend: 'embedded';
  /** Where the journal lives (one process at a time); omitted, the store is memory only. */
  dataDir?: string;
  now?: () => number;
  /** fsync each group of writes (default true). */
  fsync?: boolean;
}

export function openStore(settings: StoreSettings): Store {
  if (settings.backend === 'embedded') {
    const { backend: _backend, ...options } = settings;
    return EmbeddedStore.open(options);
  }
  if ('firestore' in settings) return new FirestoreStore(settings.firestore, settings.now);
  const { backend: _backend, ...options } = settings;
  return FirestoreStore.connect(options);
}
