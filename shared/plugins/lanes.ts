/**
 * A delivery reaches the plugins in two lanes, each its own ordered subscription of `github-events`
 * and its own function:
 * - `jobs` (function and subscription `trigger`): the trigger plugin, which creates ProwJobs for PR
 *   pushes, `/test`, `/retest`, `/ok-to-test` and branch pushes;
 * - `plugins` (function and subscription `events`): every other plugin and the external plugins.
 *
 * Why two: creating jobs is what a burst must never wait for. In one lane, a PR's `/test` would
 * wait for the labels, comments and reads of every plugin on the deliveries before it (an ordered
 * subscription hands a PR's deliveries over one at a time), and one plugin failing into retries
 * would hold the PR's job creation back with it. Each lane keeps one PR's deliveries in order;
 * across lanes they are independent, as plugins already are within one delivery (Prow's hook runs
 * a delivery's plugins side by side). Local mode also gives the jobs lane the CPU first
 * (cli/local/lane-gate.ts).
 */
export type LaneName = 'jobs' | 'plugins';

export interface DispatchLane {
  name: LaneName;
  /** Whether this lane runs the in-process plugin of that name. */
  runs(plugin: string): boolean;
  /** External plugins are forwarded in one lane only, so each gets a delivery once. */
  forwardsExternalPlugins: boolean;
}

/** The plugins that create ProwJobs. */
const JOB_CREATING_PLUGINS: ReadonlySet<string> = new Set(['trigger']);

export const LANES: Readonly<Record<LaneName, DispatchLane>> = {
  jobs: { name: 'jobs', runs: (plugin) => JOB_CREATING_PLUGINS.has(plugin), forwardsExternalPlugins: false },
  plugins: { name: 'plugins', runs: (plugin) => !JOB_CREATING_PLUGINS.has(plugin), forwardsExternalPlugins: true },
};

/**
 * The key a lane claims a delivery's processing under (shared/webhook/process-once.ts) and names
 * its GitHub writes' cause with (shared/outbox/github.ts): each lane runs a delivery once, and a
 * lane's re-run dedupes against its own writes, not the other lane's. The plugins lane keeps the
 * bare delivery ID, as before lanes existed, so deliveries in flight across an upgrade run once.
 */
export function laneDeliveryKey(lane: DispatchLane, deliveryId: string): string {
  return lane.name === 'plugins' ? deliveryId : `${deliveryId}:${lane.name}`;
}
