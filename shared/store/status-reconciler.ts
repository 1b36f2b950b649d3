import { z } from 'zod';

/**
 * What the status reconciler (shared/statusreconciler/) remembers between scheduler ticks: the
 * presubmits of the configuration it last reconciled, per repository, reduced to the fields its
 * decisions read. Prow keeps the whole last-seen config in a file (`--status-path`); one small
 * record does the same job here.
 *
 * `revision` grows by one at every change, and a change is written only if the stored revision is
 * still the one the writer read: two scheduler ticks racing over the same config change have
 * exactly one winner, and only the winner acts on GitHub.
 */
export const RecordedPresubmitSchema = z.object({
  name: z.string(),
  context: z.string(),
  optional: z.boolean().optional(),
  skip_report: z.boolean().optional(),
  always_run: z.boolean().optional(),
  run_if_changed: z.string().optional(),
  skip_if_only_changed: z.string().optional(),
  branches: z.array(z.string()).optional(),
  skip_branches: z.array(z.string()).optional(),
});
export type RecordedPresubmit = z.infer<typeof RecordedPresubmitSchema>;

/** "org/repo" → that repository's presubmits, in declaration order. */
export const RecordedReposSchema = z.record(z.string(), z.array(RecordedPresubmitSchema));
export type RecordedRepos = z.infer<typeof RecordedReposSchema>;

export const ReconciledPresubmitsSchema = z.object({
  revision: z.number().int().positive(),
  /** A hash of `repos`: an unchanged config is recognised without comparing the whole map. */
  fingerprint: z.string(),
  /** ms since the epoch. */
  recordedAt: z.number(),
  repos: RecordedReposSchema,
});
export type ReconciledPresubmits = z.infer<typeof ReconciledPresubmitsSchema>;

export interface StatusReconcilerStore {
  /** The last reconciled presubmits; undefined before the first tick recorded any. */
  get(): Promise<ReconciledPresubmits | undefined>;
  /**
   * Stores `next` only if the stored revision is still `expectedRevision` (undefined: nothing
   * stored yet). True when this caller won.
   */
  advance(next: ReconciledPresubmits, expectedRevision: number | undefined): Promise<boolean>;
}
