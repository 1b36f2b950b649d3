import { z } from 'zod';
import {
  RUNNER_LIST_LIMIT,
  RUNNER_PRESENCE_RETENTION_MS,
  RunnerPresenceSchema,
  byClusterThenHolder,
  runnerKey,
  type RunnerPresence,
  type RunnerPresenceStore,
} from './runners';

/** Runner presence in the embedded store (shared/store/embedded.ts), journalled with everything else. */
export const RUNNER_JOURNAL_RECORDS = [z.object({ kind: z.literal('runner'), value: RunnerPresenceSchema })] as const;
export type RunnerJournalRecord = z.infer<(typeof RUNNER_JOURNAL_RECORDS)[number]>;

type Persist = (records: RunnerJournalRecord[]) => Promise<void>;

function forgotten(record: RunnerPresence, now: number): boolean {
  return record.lastHeartbeatAt + RUNNER_PRESENCE_RETENTION_MS <= now;
}

export class EmbeddedRunnerState {
  private readonly runners = new Map<string, RunnerPresence>();

  apply(record: RunnerJournalRecord): void {
    this.runners.set(runnerKey(record.value), record.value);
  }

  dropExpired(now: number): void {
    for (const [key, record] of this.runners) if (forgotten(record, now)) this.runners.delete(key);
  }

  size(): number {
    return this.runners.size;
  }

  *records(): Generator<RunnerJournalRecord> {
    for (const value of this.runners.values()) yield { kind: 'runner', value };
  }

  list(now: number): RunnerPresence[] {
    return [...this.runners.values()].filter((record) => !forgotten(record, now)).sort(byClusterThenHolder).slice(0, RUNNER_LIST_LIMIT);
  }
}

export class EmbeddedRunnerPresenceStore implements RunnerPresenceStore {
  constructor(
    private readonly state: EmbeddedRunnerState,
    private readonly persist: Persist,
    private readonly now: () => number,
  ) {}

  async beat(record: RunnerPresence): Promise<void> {
    await this.persist([{ kind: 'runner', value: RunnerPresenceSchema.parse(record) }]);
  }

  async list(): Promise<RunnerPresence[]> {
    await Promise.resolve();
    return this.state.list(this.now());
  }
}
