import { Timestamp, type CollectionReference, type Firestore } from '@google-cloud/firestore';
import { StoreError } from './errors';
import { documentIdFor } from './firestore-ids';
import {
  RUNNER_LIST_LIMIT,
  RUNNER_PRESENCE_RETENTION_MS,
  RunnerPresenceSchema,
  byClusterThenHolder,
  runnerKey,
  type RunnerPresence,
  type RunnerPresenceStore,
} from './runners';

/**
 * Runner presence on Firestore: one document per runner in `runners`, overwritten by each beat,
 * with `expireAt` a day after it so the TTL policy (infra/firestore/firestore.indexes.json)
 * deletes runners that stopped beating. Listing reads the runners that beat in the last day, on
 * the automatic index of `lastHeartbeatAt`: a few documents, one read each.
 */
export const RUNNERS_COLLECTION = 'runners';

interface OperationCounts {
  reads: number;
  writes: number;
}

export class FirestoreRunnerPresenceStore implements RunnerPresenceStore {
  private readonly collection: CollectionReference;

  constructor(
    db: Firestore,
    private readonly counts: OperationCounts,
    private readonly now: () => number,
  ) {
    this.collection = db.collection(RUNNERS_COLLECTION);
  }

  async beat(record: RunnerPresence): Promise<void> {
    const parsed = RunnerPresenceSchema.parse(record);
    await this.collection.doc(documentIdFor(runnerKey(parsed))).set({
      ...parsed,
      // null rather than absent, so a restarted holder's record loses an earlier stop.
      version: parsed.version ?? null,
      stoppedAt: parsed.stoppedAt ?? null,
      expireAt: Timestamp.fromMillis(parsed.lastHeartbeatAt + RUNNER_PRESENCE_RETENTION_MS),
    });
    this.counts.writes += 1;
  }

  async list(): Promise<RunnerPresence[]> {
    const snapshot = await this.collection
      .where('lastHeartbeatAt', '>', this.now() - RUNNER_PRESENCE_RETENTION_MS)
      .orderBy('lastHeartbeatAt', 'desc')
      .limit(RUNNER_LIST_LIMIT)
      .get();
    this.counts.reads += Math.max(1, snapshot.size);
    return snapshot.docs
      .map((document) => {
        const { expireAt: _expireAt, version, stoppedAt, ...rest } = document.data();
        const parsed = RunnerPresenceSchema.safeParse({ ...rest, ...(version ? { version } : {}), ...(typeof stoppedAt === 'number' ? { stoppedAt } : {}) });
        if (!parsed.success) throw new StoreError(`${document.ref.path} is not a runner record: ${parsed.error.message}`);
        return parsed.data;
      })
      .sort(byClusterThenHolder);
  }
}
