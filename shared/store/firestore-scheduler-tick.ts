import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import { StoreError } from './errors';
import { LastTickSchema, TickFailureSchema, type LastTick, type SchedulerTickStore } from './scheduler-tick';
import { z } from 'zod';

/**
 * The scheduler's last tick on Firestore: one document, `scheduler/last-tick`. The summary and the
 * failures are kept as JSON text (`record`): they are read whole and never queried.
 */
export const SCHEDULER_COLLECTION = 'scheduler';
const DOCUMENT_ID = 'last-tick';

const DocumentSchema = z.object({ startedAt: z.number(), finishedAt: z.number(), record: z.string() });
const RecordSchema = z.object({ summary: LastTickSchema.shape.summary, failed: z.array(TickFailureSchema) });

interface OperationCounts {
  reads: number;
  writes: number;
}

export class FirestoreSchedulerTickStore implements SchedulerTickStore {
  private readonly document: DocumentReference;

  constructor(
    db: Firestore,
    private readonly counts: OperationCounts,
  ) {
    this.document = db.collection(SCHEDULER_COLLECTION).doc(DOCUMENT_ID);
  }

  async last(): Promise<LastTick | undefined> {
    const snapshot = await this.document.get();
    this.counts.reads += 1;
    if (!snapshot.exists) return undefined;
    const parsed = DocumentSchema.safeParse(snapshot.data());
    if (!parsed.success) throw new StoreError(`${this.document.path} is not a scheduler tick record: ${parsed.error.message}`);
    const { record, ...times } = parsed.data;
    try {
      return { ...times, ...RecordSchema.parse(JSON.parse(record)) };
    } catch (error) {
      throw new StoreError(`${this.document.path} holds an unreadable tick: ${(error as Error).message}`);
    }
  }

  async record(tick: LastTick): Promise<void> {
    const { summary, failed, startedAt, finishedAt } = LastTickSchema.parse(tick);
    await this.document.set({ startedAt, finishedAt, record: JSON.stringify({ summary, failed }) });
    this.counts.writes += 1;
  }
}
