import { JOB_QUERY_FIELDS, type JobQuery } from './store';
import type { HistoryQuery } from './tide';

/**
 * The shapes of the queries the Firestore store runs, and the composite indexes they need. The store
 * builds its queries from these descriptions, and a test checks every shape against
 * infra/firestore/firestore.indexes.json — the emulator serves any query, production does not.
 */

export type IndexOrder = 'ASCENDING' | 'DESCENDING';
export interface IndexField {
  fieldPath: string;
  order: IndexOrder;
}

export interface QueryShape {
  /** Fields compared with == (or `in`). */
  equalities: string[];
  /** The ordering after the equalities; a range filter, if any, is on its first field. */
  orderBy: IndexField[];
}

/** Newest first; ties broken by document name in the same direction, which indexes imply. */
export const NEWEST_FIRST: IndexField[] = [{ fieldPath: 'createdAt', order: 'DESCENDING' }];

export function listQueryShape(query: JobQuery): QueryShape {
  return { equalities: JOB_QUERY_FIELDS.filter((field) => query[field] !== undefined), orderBy: NEWEST_FIRST };
}

/** Active jobs of a cluster whose lease is free or expired, oldest first. */
export const CLAIMABLE_QUERY: QueryShape = {
  equalities: ['cluster', 'state'],
  orderBy: [
    { fieldPath: 'leaseExpiresAt', order: 'ASCENDING' },
    { fieldPath: 'createdAt', order: 'ASCENDING' },
  ],
};

/** Jobs whose latest state is not yet reported, changed before a time, oldest change first. */
export const REPORT_DUE_QUERY: QueryShape = {
  equalities: ['reportDue'],
  orderBy: [{ fieldPath: 'updatedAt', order: 'ASCENDING' }],
};

/** Every shape the store can issue: each subset of list filters, the claim query and the report sweep's. */
export function allQueryShapes(): QueryShape[] {
  const shapes: QueryShape[] = [];
  for (let mask = 0; mask < 1 << JOB_QUERY_FIELDS.length; mask++) {
    const query: Record<string, string> = {};
    JOB_QUERY_FIELDS.forEach((field, bit) => {
      if (mask & (1 << bit)) query[field] = 'x';
    });
    shapes.push(listQueryShape(query as JobQuery));
  }
  shapes.push(CLAIMABLE_QUERY, REPORT_DUE_QUERY);
  return shapes;
}

/**
 * The outbox's queries (shared/store/firestore-outbox.ts). Entries carry `lane`: where `take` looks
 * for them — "sending", "p0"/"p1"/"p2" (pending, by priority), "deferred" (pending with a
 * `notBefore`), absent once settled — so each take reads a few short, ordered ranges.
 */
export const OUTBOX_QUERIES = {
  /** A priority lane in enqueue order. */
  lane: { equalities: ['installation', 'lane'], orderBy: [{ fieldPath: 'seq', order: 'ASCENDING' }] },
  /** Deferred writes whose time has come, longest due first. */
  deferred: { equalities: ['installation', 'lane'], orderBy: [{ fieldPath: 'notBefore', order: 'ASCENDING' }] },
  /** Writes a stopped writer left mid-send (`writerToken` below the current one). */
  resumable: { equalities: ['installation', 'lane'], orderBy: [{ fieldPath: 'writerToken', order: 'ASCENDING' }] },
  /** The oldest unsent write, for the ledger. */
  oldest: { equalities: ['installation', 'state'], orderBy: [{ fieldPath: 'enqueuedAt', order: 'ASCENDING' }] },
  /** Equality only, served by merging single-field indexes: */
  /** Unsent writes of an installation, counted for the ledger's depth. */
  unsent: { equalities: ['installation', 'state'], orderBy: [] },
  unsentOfResource: { equalities: ['installation', 'resource', 'state'], orderBy: [] },
  unsentOfSubject: { equalities: ['installation', 'subject', 'state'], orderBy: [] },
  byPlaceholder: { equalities: ['installation', 'placeholderId'], orderBy: [] },
  anyInLanes: { equalities: ['installation', 'lane'], orderBy: [] },
} satisfies Record<string, QueryShape>;

/** The document fields the merge pool's history queries filter on (shared/store/firestore-tide.ts). */
export const TIDE_HISTORY_QUERY_FIELDS = { poolId: 'poolId', repo: 'repo', prNumber: 'pullNumbers' } as const;

/**
 * A history query: newest first, within a pool or a repository (a pool implies its repository, so
 * the repository is not filtered again), and naming a pull request (`array-contains`).
 */
export function tideHistoryQueryShape(query: HistoryQuery): QueryShape {
  const equalities: string[] = [];
  if (query.poolId !== undefined) equalities.push(TIDE_HISTORY_QUERY_FIELDS.poolId);
  else if (query.repo !== undefined) equalities.push(TIDE_HISTORY_QUERY_FIELDS.repo);
  if (query.prNumber !== undefined) equalities.push(TIDE_HISTORY_QUERY_FIELDS.prNumber);
  return { equalities, orderBy: [{ fieldPath: 'at', order: 'DESCENDING' }] };
}

/** Every shape `listHistory` can issue. */
export function allTideHistoryQueryShapes(): QueryShape[] {
  const shapes: QueryShape[] = [];
  for (const scope of [{}, { poolId: 'o/r:b' }, { repo: 'o/r' }]) {
    for (const pull of [{}, { prNumber: 1 }]) shapes.push(tideHistoryQueryShape({ ...scope, ...pull }));
  }
  return shapes;
}

export interface CompositeIndex {
  collectionGroup: string;
  queryScope: 'COLLECTION' | 'COLLECTION_GROUP';
  fields: IndexField[];
}

function sameFields(a: IndexField[], b: IndexField[]): boolean {
  return a.length === b.length && a.every((field, i) => field.fieldPath === b[i]?.fieldPath && field.order === b[i]?.order);
}

/**
 * Whether Firestore can serve the shape from `indexes`: with no equalities or no ordering, the
 * automatic single-field indexes do; otherwise either one composite index lists the equalities
 * (any order) then the ordering, or — Firestore's index merging — each equality field has its own
 * composite index followed by the ordering.
 */
export function isServed(shape: QueryShape, indexes: CompositeIndex[], collection: string): boolean {
  if (shape.orderBy.length === 0) return true;
  if (shape.equalities.length === 0 && shape.orderBy.length === 1) return true;
  const candidates = indexes.filter((index) => index.collectionGroup === collection && index.queryScope === 'COLLECTION');
  const exact = candidates.some((index) => {
    const head = index.fields.slice(0, shape.equalities.length);
    return (
      head.length === shape.equalities.length &&
      head.every((field) => shape.equalities.includes(field.fieldPath)) &&
      sameFields(index.fields.slice(shape.equalities.length), shape.orderBy)
    );
  });
  if (exact) return true;
  return shape.equalities.every((equality) =>
    candidates.some(
      (index) => index.fields[0]?.fieldPath === equality && sameFields(index.fields.slice(1), shape.orderBy),
    ),
  );
}
