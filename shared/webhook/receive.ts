import { TOPICS, type MessageBus } from '../bus/bus';
import type { Logger } from '../log/logger';
import type { DeliveryStore } from '../store/store';
import { orderingKeyOf } from './ordering-key';
import { signedWith } from './signing';

/**
 * Prow's hook, ingest half: verify a GitHub webhook delivery, hand it to `github-events`, record
 * its delivery ID as accepted, and answer — all within milliseconds, since GitHub gives up on a
 * hook after ten seconds. Plugins run later, in the events function (shared/webhook/events.ts),
 * off GitHub's clock.
 *
 * The order is publish, then record: a delivery is answered "duplicate" only once its event is
 * known to be on the bus. A crash between the two leaves no record, so GitHub's redelivery is
 * published again — a second copy on the bus, which the events function's processing claim
 * (shared/webhook/process-once.ts) runs at most once. Recording first would lose the event.
 *
 * The published message is the body exactly as GitHub sent it, with the event, delivery ID and
 * signature context in attributes, so external plugins can be sent the original bytes. A delivery
 * about one issue or pull request carries its ordering key (ordering-key.ts), so the events
 * function handles one PR's deliveries in the order they were published here.
 */
export interface WebhookDependencies {
  /** Every secret currently accepted: more than one while a secret is being rotated. */
  secrets: readonly string[];
  deliveries: DeliveryStore;
  bus: Pick<MessageBus, 'publish'>;
  log: Logger;
}

export interface WebhookRequest {
  /** Header names in lower case. */
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

export interface WebhookResponse {
  status: number;
  body: { message: string; delivery?: string };
}

/** Message attributes on `github-events`. */
export const EVENT_ATTRIBUTES = { event: 'x-github-event', delivery: 'x-github-delivery', installation: 'installation' } as const;

function header(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** True when the signature matches any accepted secret; each comparison is constant-time. */
export function signatureMatches(secrets: readonly string[], body: Buffer, signature: string): boolean {
  let matched = false;
  // Check every secret even after a match, so timing does not tell which secret is current.
  for (const secret of secrets) {
    if (signedWith(secret, body, signature)) matched = true;
  }
  return matched;
}

const EVENT_NAME = /^[a-z_]{1,64}$/;
const DELIVERY_ID = /^[\w.-]{1,128}$/;

export async function receiveWebhook(dependencies: WebhookDependencies, request: WebhookRequest): Promise<WebhookResponse> {
  const event = header(request, 'x-github-event');
  const delivery = header(request, 'x-github-delivery');
  const signature = header(request, 'x-hub-signature-256');
  if (!signature) {
    dependencies.log.warn('webhook refused: no X-Hub-Signature-256 header', { deliveryId: delivery });
    return { status: 401, body: { message: 'missing X-Hub-Signature-256 header' } };
  }
  if (!signatureMatches(dependencies.secrets, request.rawBody, signature)) {
    dependencies.log.warn('webhook refused: signature does not match any configured secret', { deliveryId: delivery });
    return { status: 401, body: { message: 'X-Hub-Signature-256 does not match' } };
  }
  if (!event || !EVENT_NAME.test(event)) {
    return { status: 400, body: { message: 'missing or invalid X-GitHub-Event header' } };
  }
  if (!delivery || !DELIVERY_ID.test(delivery)) {
    return { status: 400, body: { message: 'missing or invalid X-GitHub-Delivery header' } };
  }
  // No child logger per delivery: on the success path nothing is logged at info, and building one
  // (a context object and its closures) for every request cost more than the line it might write.
  const context = { deliveryId: delivery, event };
  if (request.rawBody.length === 0) {
    dependencies.log.warn('webhook refused: empty body', context);
    return { status: 400, body: { message: 'the body is empty: a GitHub webhook delivery is a JSON object', delivery } };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(request.rawBody.toString('utf8'));
  } catch (error) {
    dependencies.log.warn('webhook refused: body is not JSON', { ...context, error: (error as Error).message });
    return { status: 400, body: { message: `body is not valid JSON: ${(error as Error).message}`, delivery } };
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { status: 400, body: { message: 'body must be a JSON object', delivery } };
  }
  // Taken now, so the parsed payload (hundreds of objects) is garbage before the awaits below
  // rather than copied by whichever young-generation collections happen while they wait.
  const repository = (payload as { repository?: { full_name?: unknown } }).repository?.full_name;
  const installation = (payload as { installation?: { id?: unknown } }).installation?.id;
  const orderingKey = orderingKeyOf(payload);
  payload = undefined;
  if (event === 'ping') {
    dependencies.log.info('ping received', context);
    return { status: 200, body: { message: 'pong', delivery } };
  }

  if (await dependencies.deliveries.isAccepted(delivery)) {
    dependencies.log.info('duplicate delivery acknowledged without processing', context);
    return { status: 200, body: { message: 'duplicate delivery: already accepted', delivery } };
  }
  const attributes: Record<string, string> = {
    [EVENT_ATTRIBUTES.event]: event,
    [EVENT_ATTRIBUTES.delivery]: delivery,
  };
  if (typeof installation === 'number') attributes[EVENT_ATTRIBUTES.installation] = String(installation);
  try {
    await dependencies.bus.publish(TOPICS.githubEvents, { data: request.rawBody, attributes, ...(orderingKey ? { orderingKey } : {}) });
  } catch (error) {
    // Nothing recorded, so GitHub's redelivery is processed.
    dependencies.log.error('could not publish the delivery; GitHub may redeliver it', { ...context, error });
    return { status: 503, body: { message: 'could not accept the delivery right now; redeliver it', delivery } };
  }
  try {
    await dependencies.deliveries.recordAccepted(delivery);
  } catch (error) {
    // The event is on the bus and will be processed; without the record a redelivery publishes it
    // again, and the events function runs it once all the same. So this is still a success.
    dependencies.log.warn('delivery published but not recorded; a redelivery would be published again', { ...context, error });
  }
  // Debug, not info: the events function writes each delivery's info line once its plugins ran
  // (shared/plugins/engine.ts), off GitHub's clock; a second line here was a tenth of the time
  // this answer took under load.
  if (typeof repository === 'string') dependencies.log.debug('delivery accepted', { ...context, repo: repository });
  else dependencies.log.debug('delivery accepted', context);
  return { status: 200, body: { message: 'accepted', delivery } };
}
