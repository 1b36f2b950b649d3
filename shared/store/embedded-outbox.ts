import { z } from 'zod';
import type {
  EnqueueOutcome,
  InstallationPace,
  OutboxEntry,
  OutboxStats,
  OutboxStore,
  OutboxWriteRequest,
  SendOutcome,
  TakeRequest,
  TakeResult,
  WriterLease,
} from './outbox';
import {
  applyBlock,
  applyWriterClaim,
  applyWriterRelease,
  applyWriterRenewal,
  checkLimit,
  checkRequests,
  emptyInstallation,
  groupByInstallation,
  isBlocked,
  isOutboxEntryExpired,
  bySeq,
  isTakeable,
  isUnsent,
  paceOf,
  planEnqueue,
  planSettle,
  planTake,
  requireCurrentWriter,
  statsOf,
  wantsWriter,
  type OutboxCounts,
  type OutboxInstallationRecord,
  type OutboxView,
} from './outbox-rules';
import { OutboxEntrySchema, OutboxInstallationRecordSchema } from './schemas';

/**
 * What the embedded store keeps per installation: the writer's record, and the counters one
 * process can keep exactly (the last `seq` given out, the ledger's counts).
 */
const EmbeddedInstallationSchema = OutboxInstallationRecordSchema.extend({
  seq: z.number().int().nonnegative(),
  depth: z.number().int().nonnegative(),
  saved: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
});
type EmbeddedInstallation = z.infer<typeof EmbeddedInstallationSchema>;

function emptyEmbeddedInstallation(name: string): EmbeddedInstallation {
  return { ...emptyInstallation(name), seq: 0, depth: 0, saved: 0, failed: 0 };
}

/**
 * The outbox of the embedded store (shared/store/embedded.ts): entries and per-installation
 * records live in memory and are journalled with everything else, so they survive a restart with
 * every lease and pace window. Each operation decides synchronously, then persists, so racing
 * callers are ordered as the embedded store's other parts are.
 *
 * Busy installations accumulate many settled entries (kept a week for their idempotency keys), so
 * what enqueue, take and readers need is indexed over unsent entries only.
 */

export const OUTBOX_JOURNAL_RECORDS = [
  /** An entry, whole: put on every change. */
  z.object({ kind: z.literal('outbox'), entry: OutboxEntrySchema }),
  z.object({ kind: z.literal('outbox-installation'), value: EmbeddedInstallationSchema }),
] as const;
export type OutboxJournalRecord = z.infer<(typeof OUTBOX_JOURNAL_RECORDS)[number]>;

type Persist = (records: OutboxJournalRecord[]) => Promise<void>;

/** Keys of the maps below: parts joined by a character no installation, subject or key contains. */
function key(...parts: (string | number)[]): string {
  return parts.join('\u0000');
}

function addTo(index: Map<string, Set<string>>, at: string, value: string): void {
  let set = index.get(at);
  if (!set) index.set(at, (set = new Set()));
  set.add(value);
}

function removeFrom(index: Map<string, Set<string>>, at: string, value: string): void {
  const set = index.get(at);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(at);
}

/** The outbox's data and indexes, changed only by applying journal records. */
export class EmbeddedOutboxState {
  /** Every entry by (installation, id). */
  private readonly entries = new Map<string, OutboxEntry>();
  private readonly installations = new Map<string, EmbeddedInstallation>();
  /** Unsent entries' keys by installation, by (installation, resource) and by (installation, subject). */
  private readonly unsentByInstallation = new Map<string, Set<string>>();
  private readonly unsentByResource = new Map<string, Set<string>>();
  private readonly unsentBySubject = new Map<string, Set<string>>();
  /** createComment entries' keys by (installation, placeholder), in every state. */
  private readonly byPlaceholder = new Map<string, string>();

  apply(record: OutboxJournalRecord): void {
    if (record.kind === 'outbox-installation') {
      this.installations.set(record.value.installation, record.value);
      return;
    }
    const entry = record.entry;
    const at = key(entry.installation, entry.id);
    const before = this.entries.get(at);
    if (before) this.unindex(at, before);
    this.entries.set(at, entry);
    if (isUnsent(entry)) {
      addTo(this.unsentByInstallation, entry.installation, at);
      addTo(this.unsentByResource, key(entry.installation, entry.resource), at);
      addTo(this.unsentBySubject, key(entry.installation, entry.subject), at);
    }
    if (entry.placeholderId !== undefined) this.byPlaceholder.set(key(entry.installation, entry.placeholderId), at);
  }

  private unindex(at: string, entry: OutboxEntry): void {
    removeFrom(this.unsentByInstallation, entry.installation, at);
    removeFrom(this.unsentByResource, key(entry.installation, entry.resource), at);
    removeFrom(this.unsentBySubject, key(entry.installation, entry.subject), at);
    if (entry.placeholderId !== undefined) {
      const placeholder = key(entry.installation, entry.placeholderId);
      if (this.byPlaceholder.get(placeholder) === at) this.byPlaceholder.delete(placeholder);
    }
  }

  /** Forgets settled entries past retention; unsent entries stay whatever their age. */
  dropExpired(now: number): void {
    for (const [at, entry] of this.entries) {
      if (!isOutboxEntryExpired(entry, now)) continue;
      this.unindex(at, entry);
      this.entries.delete(at);
    }
  }

  size(): number {
    return this.entries.size + this.installations.size;
  }

  *records(): Generator<OutboxJournalRecord> {
    for (const value of this.installations.values()) yield { kind: 'outbox-installation', value };
    for (const entry of this.entries.values()) yield { kind: 'outbox', entry };
  }

  entry(installation: string, id: string, now: number): OutboxEntry | undefined {
    const entry = this.entries.get(key(installation, id));
    return entry && !isOutboxEntryExpired(entry, now) ? entry : undefined;
  }

  installation(name: string): EmbeddedInstallation | undefined {
    return this.installations.get(name);
  }

  installationNames(): string[] {
    return [...this.installations.keys()].sort();
  }

  unsentOfInstallation(installation: string): OutboxEntry[] {
    return this.resolve(this.unsentByInstallation.get(installation));
  }

  unsentOfResource(installation: string, resource: string): OutboxEntry[] {
    return this.resolve(this.unsentByResource.get(key(installation, resource)));
  }

  unsentOfSubject(installation: string, subject: string): OutboxEntry[] {
    return this.resolve(this.unsentBySubject.get(key(installation, subject)));
  }

  withPlaceholder(installation: string, placeholderId: number, now: number): OutboxEntry | undefined {
    const at = this.byPlaceholder.get(key(installation, placeholderId));
    const entry = at === undefined ? undefined : this.entries.get(at);
    return entry && !isOutboxEntryExpired(entry, now) ? entry : undefined;
  }

  private resolve(keys: Set<string> | undefined): OutboxEntry[] {
    const found: OutboxEntry[] = [];
    for (const at of keys ?? []) {
      const entry = this.entries.get(at);
      if (entry) found.push(entry);
    }
    return found.sort(bySeq);
  }
}

export class EmbeddedOutboxStore implements OutboxStore {
  constructor(
    private readonly state: EmbeddedOutboxState,
    private readonly persist: Persist,
    private readonly now: () => number,
  ) {}

  async enqueue(requests: readonly OutboxWriteRequest[]): Promise<EnqueueOutcome> {
    const checked = checkRequests(requests);
    const now = this.now();
    const outcome: EnqueueOutcome = { stored: 0, duplicates: 0, saved: 0 };
    const records: OutboxJournalRecord[] = [];
    for (const [installation, ofInstallation] of groupByInstallation(checked)) {
      const view: OutboxView = {
        entry: (id) => this.state.entry(installation, id, now),
        unsent: (resource) => this.state.unsentOfResource(installation, resource),
        createWithPlaceholder: (placeholderId) => this.state.withPlaceholder(installation, placeholderId, now),
      };
      const record = this.installationRecord(installation);
      let seq = record.seq;
      const plan = planEnqueue(ofInstallation, view, now, () => ++seq);
      outcome.stored += plan.outcome.stored;
      outcome.duplicates += plan.outcome.duplicates;
      outcome.saved += plan.outcome.saved;
      for (const entry of plan.writes) records.push({ kind: 'outbox', entry });
      if (plan.writes.length > 0) {
        const counts = { depth: record.depth + plan.depthChange, saved: record.saved + plan.outcome.saved };
        records.push({ kind: 'outbox-installation', value: { ...record, seq, ...counts } });
      }
    }
    await this.write(records);
    return outcome;
  }

  async unsent(installation: string, subject: string): Promise<OutboxEntry[]> {
    await Promise.resolve();
    return this.state.unsentOfSubject(installation, subject);
  }

  async get(installation: string, id: string): Promise<OutboxEntry | undefined> {
    await Promise.resolve();
    return this.state.entry(installation, id, this.now());
  }

  async commentIdFor(installation: string, placeholderId: number): Promise<number | undefined> {
    await Promise.resolve();
    return this.state.withPlaceholder(installation, placeholderId, this.now())?.commentId;
  }

  async claimWriter(installation: string, holder: string, ttlMs: number): Promise<WriterLease | undefined> {
    const record = this.installationRecord(installation);
    const claim = applyWriterClaim(record, holder, ttlMs, this.now());
    if (!claim) {
      await Promise.resolve();
      return undefined;
    }
    await this.write([{ kind: 'outbox-installation', value: { ...record, ...claim.installation } }]);
    return claim.lease;
  }

  async renewWriter(lease: WriterLease, ttlMs: number): Promise<WriterLease> {
    const record = this.state.installation(lease.installation);
    const renewal = applyWriterRenewal(record, lease, ttlMs, this.now());
    await this.write([{ kind: 'outbox-installation', value: this.withCounters(renewal.installation, record) }]);
    return renewal.lease;
  }

  async releaseWriter(lease: WriterLease): Promise<void> {
    const record = this.state.installation(lease.installation);
    const next = applyWriterRelease(record, lease, this.now());
    await this.write(next ? [{ kind: 'outbox-installation', value: this.withCounters(next, record) }] : []);
  }

  async take(lease: WriterLease, request: TakeRequest): Promise<TakeResult> {
    checkLimit(request.limit);
    const now = this.now();
    const record = this.state.installation(lease.installation);
    requireCurrentWriter(record, lease, now);
    if (record && isBlocked(record, now)) {
      await Promise.resolve();
      return { entries: [], ...(record.blockedUntil === undefined ? {} : { nextAt: record.blockedUntil }) };
    }
    const current = record ?? emptyEmbeddedInstallation(lease.installation);
    const plan = planTake(current, this.state.unsentOfInstallation(lease.installation), lease, request, now);
    if (plan.taken.length > 0) {
      await this.write([
        ...plan.taken.map((entry): OutboxJournalRecord => ({ kind: 'outbox', entry })),
        { kind: 'outbox-installation', value: { ...current, ...plan.installation } },
      ]);
    } else {
      await Promise.resolve();
    }
    return { entries: plan.taken, ...(plan.nextAt === undefined ? {} : { nextAt: plan.nextAt }) };
  }

  async settle(lease: WriterLease, outcomes: readonly SendOutcome[], requestTimes: readonly number[]): Promise<void> {
    const now = this.now();
    const record = this.state.installation(lease.installation);
    requireCurrentWriter(record, lease, now);
    const current = record ?? emptyEmbeddedInstallation(lease.installation);
    const plan = planSettle(current, (id) => this.state.entry(lease.installation, id, now), outcomes, requestTimes, lease, now);
    const counts = { depth: current.depth + plan.depthChange, failed: current.failed + plan.failed };
    await this.write([
      ...plan.writes.map((entry): OutboxJournalRecord => ({ kind: 'outbox', entry })),
      { kind: 'outbox-installation', value: { ...current, ...plan.installation, ...counts } },
    ]);
  }

  async block(lease: WriterLease, until: number, reason: string): Promise<void> {
    const record = this.state.installation(lease.installation);
    const next = applyBlock(record, lease, until, reason, this.now());
    await this.write([{ kind: 'outbox-installation', value: this.withCounters(next, record) }]);
  }

  async pace(installation: string): Promise<InstallationPace> {
    await Promise.resolve();
    return paceOf(this.state.installation(installation), installation, this.now());
  }

  async installationsNeedingWriter(): Promise<string[]> {
    await Promise.resolve();
    const now = this.now();
    return this.state.installationNames().filter((name) => {
      const installation = this.state.installation(name);
      if (!wantsWriter(installation, true, now)) return false;
      // Without a live lease, any token is newer than the one a `sending` entry carries.
      const anyToken = (installation?.writer?.token ?? 0) + 1;
      return this.state.unsentOfInstallation(name).some((entry) => isTakeable(entry, anyToken, now));
    });
  }

  async stats(): Promise<OutboxStats[]> {
    await Promise.resolve();
    const now = this.now();
    return this.state.installationNames().map((name) => {
      const oldest = Math.min(...this.state.unsentOfInstallation(name).map((entry) => entry.enqueuedAt));
      const record = this.installationRecord(name);
      const counts: OutboxCounts = { depth: record.depth, saved: record.saved, failed: record.failed };
      return statsOf(record, counts, Number.isFinite(oldest) ? oldest : undefined, now);
    });
  }

  private installationRecord(name: string): EmbeddedInstallation {
    return this.state.installation(name) ?? emptyEmbeddedInstallation(name);
  }

  /** The writer's record with the counters the store keeps beside it. */
  private withCounters(next: OutboxInstallationRecord, before: EmbeddedInstallation | undefined): EmbeddedInstallation {
    return { ...(before ?? emptyEmbeddedInstallation(next.installation)), ...next };
  }

  private async write(records: OutboxJournalRecord[]): Promise<void> {
    if (records.length === 0) await Promise.resolve();
    else await this.persist(records);
  }
}
