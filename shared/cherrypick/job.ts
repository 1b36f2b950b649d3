import { z } from 'zod';
import { TOPICS, type MessageBus } from '../bus/bus';

/**
 * One cherry-pick for the worker: everything it needs about the merged PR and the request, so it
 * reads nothing from the plugin's config. The plugin decides (who may ask, which branch); the
 * worker, which holds the write credentials, only does the git work and opens the PR.
 */
export const CherryPickJobSchema = z.object({
  org: z.string().min(1),
  repo: z.string().min(1),
  number: z.number().int().positive(),
  /** The parent's base branch, dropped from a backport's title. */
  base: z.string().min(1),
  target: z.string().min(1),
  title: z.string(),
  body: z.string(),
  requester: z.string().min(1),
  /** The branches chained after this one (`/cherrypick a b c` → `b`, `c`). */
  chain: z.array(z.string()),
  /** The parent's kind labels, without `kind/`. */
  kinds: z.array(z.string()),
  /** The comment that asked, quoted in the answers; absent for a label. */
  comment: z.object({ body: z.string(), htmlUrl: z.string() }).optional(),
  /** Labels for the new PR. */
  labels: z.array(z.string()),
  /** `/assign` the requester in the body and assign them (Prow's --use-prow-assignments). */
  assign: z.boolean(),
  /** Where the branch goes: the bot's fork (Prow's way), or the repository itself. */
  pushTo: z.enum(['fork', 'repository']),
});
export type CherryPickJob = z.infer<typeof CherryPickJobSchema>;

/**
 * The plugin's way to have a cherry-pick made: in the cloud a Pub/Sub message to the cherrypicker
 * function, in local mode the same message on the in-process bus. Never the build cluster: it
 * runs untrusted PR code and must not hold the App's write credentials.
 */
export interface CherryPicker {
  request(job: CherryPickJob): Promise<void>;
}

/** Publishes to `cherry-picks`; one PR's picks share an ordering key, so they run one at a time. */
export function busCherryPicker(bus: Pick<MessageBus, 'publish'>): CherryPicker {
  return {
    request: async (job) => {
      await bus.publish(TOPICS.cherryPicks, {
        data: JSON.stringify(CherryPickJobSchema.parse(job)),
        orderingKey: `${job.org}/${job.repo}#${job.number}`,
      });
    },
  };
}
