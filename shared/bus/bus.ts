/**
 * The message bus: how events and job triggers travel between functions. Pub/Sub in the cloud
 * (shared/bus/pubsub.ts), an in-process twin in local mode (shared/bus/in-process.ts); both pass
 * the one contract suite in test/shared/bus/bus.contract.ts.
 *
 * Semantics shared by both, which are Pub/Sub's:
 * - Topics fan out to subscriptions; a subscription exists independently of whoever consumes it, so
 *   messages published while no subscriber runs wait for one (declare the topology first).
 * - Delivery is at least once. A handler that resolves acknowledges the message; one that throws
 *   has it redelivered after an exponential backoff between `minBackoffMs` and `maxBackoffMs`.
 * - After `maxDeliveryAttempts` failed deliveries the message goes to the subscription's dead-letter
 *   topic, with Pub/Sub's `CloudPubSubDeadLetterSource*` attributes; a handler that throws
 *   `PermanentMessageError` sends it there at once (a malformed message never succeeds on retry).
 * - Ordering, on a subscription declared with `messageOrdering` (Pub/Sub's ordering keys): messages
 *   published with the same `orderingKey` are delivered one at a time, in publish order. The next
 *   one is not delivered until the one before it is acknowledged or dead-lettered; one whose
 *   handler throws (or outlives its ack deadline) is redelivered after its backoff, and the later
 *   ones wait for it. Messages with different keys, and messages without a key, are delivered in
 *   parallel as on any subscription. So a handler must never wait for a later message of its own
 *   key: that message is not delivered until the handler has finished.
 *   Without `messageOrdering` a key is carried but gives no order.
 */

/** Topic names, fixed: infra/ declares the same ones. */
export const TOPICS = {
  /** Verified GitHub webhook deliveries, published by the webhook function. */
  githubEvents: 'github-events',
  /** Job triggers in Prow's "sub" message format. */
  prowJobs: 'prow-jobs',
  /** Nudges for an installation's outbox writer (attribute `installation`; shared/outbox/cloud-writers.ts). */
  githubWrites: 'github-writes',
  /** Cherry-picks the cherrypicker plugin asks for (shared/cherrypick/job.ts), made by the cherrypicker function. */
  cherryPicks: 'cherry-picks',
} as const;
export type TopicName = string;

/** The dead-letter topic (and its retaining subscription) of a subscription. */
export function deadLetterTopicOf(subscription: string): string {
  return `${subscription}-dead-letter`;
}

export interface OutgoingMessage {
  /**
   * A Buffer is the publisher's no longer: both buses keep it as it is until it is sent or written
   * (Pub/Sub's client batches it; the in-process bus journals and redelivers it), so it must not
   * change once published.
   */
  data: Buffer | string;
  attributes?: Record<string, string>;
  /**
   * Messages about one thing (one pull request) share a key, so an ordered subscription hands them
   * over in publish order, one at a time. At most 1 KB, as Pub/Sub allows; empty means no key.
   */
  orderingKey?: string;
}

/** Pub/Sub's limit on an ordering key, in UTF-8 bytes. */
export const MAX_ORDERING_KEY_BYTES = 1_024;

export interface ReceivedMessage {
  /** Unique per published message, stable across redeliveries. */
  id: string;
  data: Buffer;
  attributes: Record<string, string>;
  publishTime: Date;
  /** 1 on first delivery, counting up on each redelivery. */
  deliveryAttempt: number;
  /** The key it was published with, if any. */
  orderingKey?: string;
}

export interface SubscriptionSpec {
  name: string;
  topic: TopicName;
  /** Deliveries before the message is dead-lettered; Pub/Sub allows 5–100. */
  maxDeliveryAttempts: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** How long a delivery may take before it counts as failed and is redelivered. */
  ackDeadlineSeconds: number;
  /**
   * Deliver messages of one ordering key one at a time, in publish order (see above). Pub/Sub
   * cannot change this on an existing subscription: it is fixed when the subscription is created.
   */
  messageOrdering?: boolean;
}

export const DEFAULT_SUBSCRIPTION_POLICY = {
  maxDeliveryAttempts: 5,
  minBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  ackDeadlineSeconds: 60,
} as const satisfies Omit<SubscriptionSpec, 'name' | 'topic'>;

export type MessageHandler = (message: ReceivedMessage) => Promise<void>;

/** Thrown by a handler for a message that can never succeed: it is dead-lettered without retries. */
export class PermanentMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentMessageError';
  }
}

export interface Subscriber {
  /** Stops receiving; deliveries in flight finish first. */
  close(): Promise<void>;
}

export interface MessageBus {
  /** Creates topics, subscriptions and their dead-letter topics if missing. Idempotent. */
  declare(topics: readonly TopicName[], subscriptions: readonly SubscriptionSpec[]): Promise<void>;
  /** Resolves with the message ID once the bus has accepted the message. */
  publish(topic: TopicName, message: OutgoingMessage): Promise<string>;
  /** Starts consuming a declared subscription. */
  subscribe(subscription: string, handler: MessageHandler, options?: { maxInFlight?: number }): Promise<Subscriber>;
  close(): Promise<void>;
}

/**
 * Attributes on a dead-lettered message. The `CloudPubSubDeadLetterSource*` names are the ones
 * Pub/Sub itself adds; `CutwaterDeadLetterReason` is ours, set when a handler gave up with
 * `PermanentMessageError`, so whoever inspects the dead letters sees why without the logs.
 */
export const DEAD_LETTER_ATTRIBUTES = {
  deliveryCount: 'CloudPubSubDeadLetterSourceDeliveryCount',
  subscription: 'CloudPubSubDeadLetterSourceSubscription',
  subscriptionProject: 'CloudPubSubDeadLetterSourceSubscriptionProject',
  topicPublishTime: 'CloudPubSubDeadLetterSourceTopicPublishTime',
  reason: 'CutwaterDeadLetterReason',
} as const;

/**
 * The delay before redelivering a message whose delivery has failed `failedDeliveries` times:
 * doubling from `minBackoffMs`, capped at `maxBackoffMs`, as Pub/Sub's retry policy does.
 */
export function backoffDelayMs(
  policy: Pick<SubscriptionSpec, 'minBackoffMs' | 'maxBackoffMs'>,
  failedDeliveries: number,
): number {
  // Capping the exponent keeps 0 × 2^n finite when the minimum is 0.
  const doublings = Math.min(Math.max(failedDeliveries - 1, 0), 30);
  return Math.min(policy.maxBackoffMs, policy.minBackoffMs * 2 ** doublings);
}

/**
 * Pub/Sub's rules for topic and subscription IDs. The in-process bus applies them too, so a name
 * that works locally also works in the cloud.
 */
export function checkResourceName(kind: 'topic' | 'subscription', name: string): void {
  if (!/^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/.test(name) || name.toLowerCase().startsWith('goog')) {
    throw new Error(
      `invalid ${kind} name "${name}": it must be 3–255 characters of letters, digits and -_.~+%, start with a letter, and not start with "goog"`,
    );
  }
}

/** Pub/Sub's limit on ordering keys, checked before a message is published. */
export function checkOrderingKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_ORDERING_KEY_BYTES) {
    throw new Error(`ordering key "${key.slice(0, 40)}…" is longer than Pub/Sub's ${MAX_ORDERING_KEY_BYTES} bytes`);
  }
}

/** Pub/Sub's limits on a subscription's policy, checked before anything is created. */
export function checkSubscriptionSpec(spec: SubscriptionSpec): void {
  checkResourceName('subscription', spec.name);
  checkResourceName('topic', spec.topic);
  // The dead-letter topic and subscription carry a suffix, so they must fit too.
  checkResourceName('subscription', deadLetterTopicOf(spec.name));
  const problems: string[] = [];
  if (!Number.isInteger(spec.maxDeliveryAttempts) || spec.maxDeliveryAttempts < 5 || spec.maxDeliveryAttempts > 100) {
    problems.push(`maxDeliveryAttempts must be an integer from 5 to 100 (got ${spec.maxDeliveryAttempts})`);
  }
  for (const [field, value] of [
    ['minBackoffMs', spec.minBackoffMs],
    ['maxBackoffMs', spec.maxBackoffMs],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 600_000) {
      problems.push(`${field} must be a whole number of milliseconds from 0 to 600000 (got ${value})`);
    }
  }
  if (spec.minBackoffMs > spec.maxBackoffMs) {
    problems.push(`minBackoffMs (${spec.minBackoffMs}) exceeds maxBackoffMs (${spec.maxBackoffMs})`);
  }
  if (!Number.isInteger(spec.ackDeadlineSeconds) || spec.ackDeadlineSeconds < 10 || spec.ackDeadlineSeconds > 600) {
    problems.push(`ackDeadlineSeconds must be an integer from 10 to 600 (got ${spec.ackDeadlineSeconds})`);
  }
  if (problems.length > 0) throw new Error(`subscription "${spec.name}": ${problems.join('; ')}`);
}

/**
 * A subscription's backlog, as Pub/Sub's monitoring metrics describe it
 * (`subscription/num_undelivered_messages`, `subscription/oldest_unacked_message_age`): messages
 * not yet acknowledged, including those being handled or waiting out a retry's backoff.
 */
export interface SubscriptionBacklog {
  subscription: string;
  topic: TopicName;
  unacknowledged: number;
  /** Publish time of the oldest unacknowledged message, ms since the epoch; absent when none waits. */
  oldestPublishedAt?: number;
  /**
   * When these figures were sampled (Cloud Monitoring's sample time), ms since the epoch; absent
   * when they were counted as they are now (the in-process bus).
   */
  sampledAt?: number;
}
