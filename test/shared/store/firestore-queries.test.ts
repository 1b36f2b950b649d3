import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLLECTIONS } from '../../../shared/store/firestore';
import {
  OUTBOX_QUERIES,
  allQueryShapes,
  allTideHistoryQueryShapes,
  isServed,
  listQueryShape,
  tideHistoryQueryShape,
  type CompositeIndex,
} from '../../../shared/store/firestore-queries';
import { REPO_ROOT } from '../../support/config';

/**
 * The Firestore emulator answers any query; production Firestore refuses one without its index.
 * These tests hold the declared indexes to the queries the store actually builds.
 */
interface IndexFile {
  indexes: CompositeIndex[];
  fieldOverrides: { collectionGroup: string; fieldPath: string; ttl?: boolean; indexes: unknown[] }[];
}
const declared = JSON.parse(
  readFileSync(path.join(REPO_ROOT, 'infra/firestore/firestore.indexes.json'), 'utf8'),
) as IndexFile;

describe('Firestore indexes', () => {
  it('serve every query the store can issue (each combination of job-list filters, the claim query, the report sweep)', () => {
    const unserved = allQueryShapes().filter((shape) => !isServed(shape, declared.indexes, COLLECTIONS.jobs));
    expect(unserved).toEqual([]);
    expect(allQueryShapes()).toHaveLength(258);
  });

  it('serve every query of the GitHub write outbox', () => {
    const unserved = Object.entries(OUTBOX_QUERIES).filter(([, shape]) => !isServed(shape, declared.indexes, COLLECTIONS.outbox));
    expect(unserved).toEqual([]);
    const withoutLanes = declared.indexes.filter((index) => index.fields[1]?.fieldPath !== 'lane');
    expect(isServed(OUTBOX_QUERIES.lane, withoutLanes, COLLECTIONS.outbox)).toBe(false);
  });

  it('serve every query of the merge pool’s history (by pool, repository and pull request, newest first)', () => {
    const unserved = allTideHistoryQueryShapes().filter((shape) => !isServed(shape, declared.indexes, COLLECTIONS.tideHistory));
    expect(unserved).toEqual([]);
    expect(allTideHistoryQueryShapes()).toHaveLength(6);
    const withoutPullNumbers = declared.indexes.filter((index) => !index.fields.some((field) => field.fieldPath === 'pullNumbers'));
    expect(isServed(tideHistoryQueryShape({ repo: 'acme/widgets', prNumber: 7 }), withoutPullNumbers, COLLECTIONS.tideHistory)).toBe(false);
    expect(isServed(tideHistoryQueryShape({ poolId: 'acme/widgets:main' }), withoutPullNumbers, COLLECTIONS.tideHistory)).toBe(true);
  });

  it('would catch a missing index', () => {
    const withoutPull = declared.indexes.filter((index) => index.fields[0]?.fieldPath !== 'pull');
    expect(isServed(listQueryShape({ repo: 'acme/widgets', pull: 7 }), withoutPull, COLLECTIONS.jobs)).toBe(false);
    expect(isServed(listQueryShape({ repo: 'acme/widgets' }), withoutPull, COLLECTIONS.jobs)).toBe(true);
    expect(isServed(listQueryShape({}), [], COLLECTIONS.jobs)).toBe(true);
  });

  it('index deliveries by expiry, which the health page counts recent deliveries on', () => {
    const override = declared.fieldOverrides.find((o) => o.collectionGroup === COLLECTIONS.deliveries && o.fieldPath === 'expireAt');
    expect(override?.indexes).toContainEqual({ order: 'ASCENDING', queryScope: 'COLLECTION' });
  });

  it('expire delivery, idempotency, report and settled outbox records, idle outbox resources and silent runners, by TTL, and keep large values out of the indexes', () => {
    const ttl = declared.fieldOverrides.filter((override) => override.ttl).map((o) => `${o.collectionGroup}.${o.fieldPath}`);
    expect(ttl.sort()).toEqual(
      [COLLECTIONS.deliveries, COLLECTIONS.idempotencyKeys, COLLECTIONS.legacyReports, COLLECTIONS.outbox, COLLECTIONS.outboxResources, COLLECTIONS.runners]
        .map((c) => `${c}.expireAt`)
        .sort(),
    );
    for (const [collectionGroup, fieldPath] of [
      [COLLECTIONS.jobs, 'prowjob'],
      [COLLECTIONS.jobs, 'reported'],
      // Comment bodies, and the pace window's timestamps.
      [COLLECTIONS.outbox, 'write'],
      [COLLECTIONS.outboxInstallations, 'sentAt'],
      // The merge pool's records, kept as text and never queried.
      [COLLECTIONS.tidePools, 'record'],
      [COLLECTIONS.tideHistory, 'record'],
    ]) {
      expect(declared.fieldOverrides).toContainEqual({ collectionGroup, fieldPath, ttl: false, indexes: [] });
    }
  });
});
