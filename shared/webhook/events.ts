import { PermanentMessageError, type ReceivedMessage } from '../bus/bus';
import { dispatch, isIdlePlan, planDispatch, type DispatchOutcome, type EngineDependencies } from '../plugins/engine';
import { laneDeliveryKey, type DispatchLane } from '../plugins/lanes';
import { processOnce, type ProcessOnceOptions } from './process-once';
import { EVENT_ATTRIBUTES } from './receive';
import { replayGuarded } from './replay-guard';

/**
 * Prow's hook, plugin half: a message from `github-events` (published by receiveWebhook) becomes a
 * delivery for the plugins of one lane (shared/plugins/lanes.ts). A message that cannot be a
 * delivery — missing attributes, a body that is not JSON — will never succeed, so it is
 * dead-lettered at once rather than retried.
 */
export async function handleGitHubEventMessage(
  dependencies: EngineDependencies,
  message: ReceivedMessage,
  lane: DispatchLane,
  intake: ProcessOnceOptions = {},
): Promise<DispatchOutcome> {
  const name = message.attributes[EVENT_ATTRIBUTES.event];
  const id = message.attributes[EVENT_ATTRIBUTES.delivery];
  if (!name || !id) {
    throw new PermanentMessageError(
      `message ${message.id} on github-events lacks the ${EVENT_ATTRIBUTES.event} or ${EVENT_ATTRIBUTES.delivery} attribute`,
    );
  }
  const rawBody = message.data.toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody);
  } catch (error) {
    throw new PermanentMessageError(`delivery ${id} (${name}) is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const delivery = { name, id, rawBody, payload };
  const plan = planDispatch(dependencies, delivery, lane);
  // Most deliveries concern one lane only (a status event, a /lgtm has nothing for the trigger):
  // with nothing to run, there is nothing to run once, and the processing claim's store writes
  // are skipped.
  if (isIdlePlan(plan)) {
    dependencies.log.debug('no plugin of this lane handles the delivery', { deliveryId: id, lane: lane.name, event: name });
    return { handled: [], failed: [] };
  }
  // At most once per delivery and lane, however many copies of the message arrive (process-once.ts).
  const run = ({ takeover }: { takeover: boolean }) =>
    // Through the outbox a re-run's writes dedupe by key; straight to GitHub, the guard does it.
    dispatch(takeover && !dependencies.outbox ? replayGuarded(dependencies) : dependencies, delivery, lane, plan);
  const once = await processOnce(dependencies.store.deliveries, laneDeliveryKey(lane, id), dependencies.log, run, intake);
  return once.ran ? once.result : { handled: [], failed: [] };
}
