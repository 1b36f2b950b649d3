import type { CollectionReference, DocumentReference, Firestore, Timestamp } from '@google-cloud/firestore';
import { z } from 'zod';
import { StoreError } from './errors';
import { RecordedReposSchema, type ReconciledPresubmits, type StatusReconcilerStore } from './status-reconciler';

/**
 * The status reconciler's one record on Firestore: `status-reconciler/presubmits`. The presubmits
 * are kept as JSON text (`record`, exempt from indexing in infra/firestore/firestore.indexes.json):
 * they are read whole and never queried, and a map of every repository's jobs would otherwise cost
 * an index entry per field.
 */
export const STATUS_RECONCILER_COLLECTION = 'status-reconciler';
const DOCUMENT_ID = 'presubmits';

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;

const DocumentSchema = z.object({
  revision: z.number().int().positive(),
  fingerprint: z.string(),
  recordedAt: z.number(),
  record: z.string(),
});

interface OperationCounts {
  reads: number;
  writes: number;
}

export class FirestoreStatusReconcilerStore implements StatusReconcilerStore {
  private readonly document: DocumentReference;

  constructor(
    db: Firestore,
    private readonly counts: OperationCounts,
  ) {
    const collection: CollectionReference = db.collection(STATUS_RECONCILER_COLLECTION);
    this.document = collection.doc(DOCUMENT_ID);
  }

  async get(): Promise<ReconciledPresubmits | undefined> {
    const snapshot = await this.document.get();
    this.counts.reads += 1;
    if (!snapshot.exists) return undefined;
    return this.parse(snapshot.data());
  }

  async advance(next: ReconciledPresubmits, expectedRevision: number | undefined): Promise<boolean> {
    const document = {
      revision: next.revision,
      fingerprint: next.fingerprint,
      recordedAt: next.recordedAt,
      record: JSON.stringify(RecordedReposSchema.parse(next.repos)),
    };
    try {
      if (expectedRevision === undefined) {
        await this.document.create(document);
      } else {
        const snapshot = await this.document.get();
        this.counts.reads += 1;
        if (!snapshot.exists || this.parse(snapshot.data()).revision !== expectedRevision) return false;
        // Every field is written, so update replaces the record; the read's update time is the
        // precondition, so a writer that got in between makes this fail.
        await this.document.update(document, { lastUpdateTime: snapshot.updateTime as Timestamp });
      }
      this.counts.writes += 1;
      return true;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === ALREADY_EXISTS || code === FAILED_PRECONDITION) return false;
      throw error;
    }
  }

  private parse(data: unknown): ReconciledPresubmits {
    const parsed = DocumentSchema.safeParse(data);
    if (!parsed.success) throw new StoreError(`${this.document.path} is not a status reconciler record: ${parsed.error.message}`);
    try {
      const { record, ...rest } = parsed.data;
      return { ...rest, repos: RecordedReposSchema.parse(JSON.parse(record)) };
    } catch (error) {
      throw new StoreError(`${this.document.path} holds unreadable presubmits: ${(error as Error).message}`);
    }
  }
}
