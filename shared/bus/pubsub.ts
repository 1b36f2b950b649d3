import { Duration, PubSub, type Message, type Subscription, type Topic } from '@google-cloud/pubsub';
import {
  DEAD_LETTER_ATTRIBUTES,
  DEFAULT_SUBSCRIPTION_POLICY,
  PermanentMessageError,
  checkOrderingKey,
  checkResourceName,
  checkSubscriptionSpec,
  deadLetterTopicOf,
  type MessageBus,
  type MessageHandler,
  type OutgoingMessage,
  type ReceivedMessage,
  type Subscriber,
  type SubscriptionSpec,
  type TopicName,
} from './bus';
import { pubSubClientConfig } from './pubsub-client';

/** The bus in the cloud: Google Cloud Pub/Sub, or its emulator (see bus.ts for the semantics). */
export interface PubSubBusOptions {
  projectId: string;
  /**
   * host:port of a Pub/Sub emulator. Without it the client library honours PUBSUB_EMULATOR_HOST,
   * and otherwise talks to Google.
   */
  apiEndpoint?: string;
  /**
   * Receives errors the streaming pull cannot recover from (the library retries the others).
   * Defaults to logging them: an unhandled 'error' event would take the process down.
   */
  onSubscriberError?: (error: Error, subscription: string) => void;
}

/** gRPC status codes the bus reacts to. */
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

/**
 * How many messages an ordered subscriber lets Pub/Sub hand it beyond those its handlers run.
 * Pub/Sub sends a key's messages ahead of their turn and the subscriber holds them, so a burst on
 * one key must not fill the window and starve the other keys.
 */
const ORDERED_PREFETCH = 100;

export class PubSubBus implements MessageBus {
  private readonly client: PubSub;
  private readonly projectId: string;
  private readonly topics = new Map<TopicName, Topic>();
  private readonly subscribers = new Set<PubSubSubscriber>();
  private readonly onSubscriberError: (error: Error, subscription: string) => void;
  private closed = false;

  constructor(options: PubSubBusOptions) {
    this.projectId = options.projectId;
    this.onSubscriberError =
      options.onSubscriberError ??
      ((error, subscription) => console.error(`Pub/Sub subscriber for "${subscription}" failed: ${error.message}`));
    this.client = new PubSub(pubSubClientConfig(options.projectId, options.apiEndpoint));
  }

  async declare(topics: readonly TopicName[], subscriptions: readonly SubscriptionSpec[]): Promise<void> {
    this.assertOpen();
    for (const topic of topics) checkResourceName('topic', topic);
    for (const spec of subscriptions) checkSubscriptionSpec(spec);

    const deadLetterTopics = subscriptions.map((spec) => deadLetterTopicOf(spec.name));
    await Promise.all([...new Set([...topics, ...deadLetterTopics])].map((topic) => this.createTopic(topic)));
    // Dead-letter subscriptions first: Pub/Sub drops messages sent to a topic nobody subscribes to.
    await Promise.all(
      subscriptions.map((spec) => {
        const deadLetters = deadLetterTopicOf(spec.name);
        return this.createSubscription(deadLetters, deadLetters, {
          ackDeadlineSeconds: DEFAULT_SUBSCRIPTION_POLICY.ackDeadlineSeconds,
          retryPolicy: retryPolicyOf(DEFAULT_SUBSCRIPTION_POLICY),
          enableMessageOrdering: false,
        });
      }),
    );
    await Promise.all(
      subscriptions.map((spec) =>
        this.createSubscription(spec.name, spec.topic, {
          ackDeadlineSeconds: spec.ackDeadlineSeconds,
          retryPolicy: retryPolicyOf(spec),
          deadLetterPolicy: {
            deadLetterTopic: this.topicPath(deadLetterTopicOf(spec.name)),
            maxDeliveryAttempts: spec.maxDeliveryAttempts,
          },
          enableMessageOrdering: spec.messageOrdering ?? false,
        }),
      ),
    );
  }

  async publish(topic: TopicName, message: OutgoingMessage): Promise<string> {
    this.assertOpen();
    const data = typeof message.data === 'string' ? Buffer.from(message.data, 'utf8') : message.data;
    const orderingKey = message.orderingKey || undefined;
    if (orderingKey) checkOrderingKey(orderingKey);
    const publisher = this.topic(topic);
    try {
      return await publisher.publishMessage({ data, attributes: message.attributes ?? {}, ...(orderingKey ? { orderingKey } : {}) });
    } catch (error) {
      // After a failed publish the client refuses every later message of the key until told to
      // resume, to keep it from overtaking the lost one. The caller hears of the failure and
      // publishes again or gives up (the webhook answers 503 and GitHub redelivers), so one
      // failure must not stop the key for good.
      if (orderingKey) publisher.resumePublishing(orderingKey);
      if (grpcCode(error) === NOT_FOUND) {
        throw new Error(`cannot publish to topic "${topic}": it does not exist (declare the topology first)`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async subscribe(subscription: string, handler: MessageHandler, options: { maxInFlight?: number } = {}): Promise<Subscriber> {
    this.assertOpen();
    const maxInFlight = options.maxInFlight ?? 10;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new Error(`maxInFlight must be a positive integer (got ${maxInFlight})`);
    }
    let ackDeadlineSeconds: number;
    let ordering: OrderedDelivery | undefined;
    try {
      const [metadata] = await this.client.subscription(subscription).getMetadata();
      ackDeadlineSeconds = metadata.ackDeadlineSeconds ?? DEFAULT_SUBSCRIPTION_POLICY.ackDeadlineSeconds;
      if (metadata.enableMessageOrdering) {
        const maxBackoffMs = durationMs(metadata.retryPolicy?.maximumBackoff) ?? DEFAULT_SUBSCRIPTION_POLICY.maxBackoffMs;
        ordering = {
          maxDeliveryAttempts: metadata.deadLetterPolicy?.maxDeliveryAttempts ?? undefined,
          // A failed message comes back after its backoff; allow that and one ack deadline more.
          redeliveryPatienceMs: maxBackoffMs + ackDeadlineSeconds * 1_000,
        };
      }
    } catch (error) {
      if (grpcCode(error) === NOT_FOUND) {
        throw new Error(`cannot subscribe to "${subscription}": the subscription does not exist (declare it first)`, {
          cause: error,
        });
      }
      throw error;
    }
    const ackDeadline = Duration.from({ seconds: ackDeadlineSeconds });
    const stream = this.client.subscription(subscription, {
      // The library's flow control lets excess messages through (a pull can return more than
      // asked for); the subscriber queues those itself, so maxInFlight bounds handler calls exactly.
      flowControl: { maxMessages: ordering ? Math.max(maxInFlight, ORDERED_PREFETCH) : maxInFlight, allowExcessMessages: true },
      // The library keeps extending leases for an hour by default; stopping at the subscription's
      // ack deadline gives "a delivery that takes too long counts as failed", as in-process does.
      maxExtensionTime: ackDeadline,
      maxAckDeadline: ackDeadline,
      streamingOptions: { maxStreams: 1 },
      // Wait for handlers in flight, but no longer than their deadline: after it they are
      // redelivered anyway.
      closeOptions: { behavior: 'WAIT', timeout: ackDeadline },
    });
    const subscriber = new PubSubSubscriber(stream, handler, maxInFlight, ordering, (message, reason) =>
      this.deadLetter(subscription, message, reason),
    );
    stream.on('error', (error: Error) => this.onSubscriberError(error, subscription));
    stream.on('message', (message: Message) => subscriber.receive(message));
    this.subscribers.add(subscriber);
    subscriber.onClosed = () => this.subscribers.delete(subscriber);
    return subscriber;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscribers].map((subscriber) => subscriber.close()));
    await Promise.all([...this.topics.values()].map((topic) => topic.flush()));
    await this.client.close();
  }

  /**
   * What Pub/Sub does after the last failed attempt: done at once for a PermanentMessageError
   * (with its reason), and for the last attempt on an ordered subscription (see OrderedDelivery).
   */
  private async deadLetter(subscription: string, message: Message, reason: string | undefined): Promise<void> {
    // Without the ordering key: a failed publish would pause the key on this publisher, and the
    // dead-letter subscription delivers in no order anyway.
    await this.topic(deadLetterTopicOf(subscription)).publishMessage({
      data: message.data,
      attributes: {
        ...message.attributes,
        [DEAD_LETTER_ATTRIBUTES.deliveryCount]: String(deliveryAttemptOf(message)),
        [DEAD_LETTER_ATTRIBUTES.subscription]: subscription,
        [DEAD_LETTER_ATTRIBUTES.subscriptionProject]: this.projectId,
        [DEAD_LETTER_ATTRIBUTES.topicPublishTime]: new Date(message.publishTime.getTime()).toISOString(),
        ...(reason === undefined ? {} : { [DEAD_LETTER_ATTRIBUTES.reason]: reason }),
      },
    });
  }

  private topic(name: TopicName): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      // Ordering on the publisher keeps a key's messages in one sequence of requests; messages
      // without a key are batched as before.
      topic = this.client.topic(name, { messageOrdering: true });
      this.topics.set(name, topic);
    }
    return topic;
  }

  private topicPath(name: TopicName): string {
    return `projects/${this.projectId}/topics/${name}`;
  }

  private async createTopic(name: TopicName): Promise<void> {
    try {
      await this.client.createTopic(name);
    } catch (error) {
      if (grpcCode(error) !== ALREADY_EXISTS) throw error;
    }
  }

  /** Creates the subscription, or brings an existing one's policy up to date. */
  private async createSubscription(name: string, topic: TopicName, policy: SubscriptionPolicy): Promise<void> {
    try {
      await this.client.createSubscription(topic, name, policy);
      return;
    } catch (error) {
      if (grpcCode(error) === NOT_FOUND) {
        throw new Error(`cannot create subscription "${name}": topic "${topic}" does not exist`, { cause: error });
      }
      if (grpcCode(error) !== ALREADY_EXISTS) throw error;
    }
    const subscription = this.client.subscription(name);
    const [current] = await subscription.getMetadata();
    if (current.topic !== this.topicPath(topic)) {
      throw new Error(`subscription "${name}" already exists on ${current.topic ?? 'no topic'}, not topic "${topic}"`);
    }
    if (Boolean(current.enableMessageOrdering) !== policy.enableMessageOrdering) {
      const has = current.enableMessageOrdering ? 'with' : 'without';
      const wanted = policy.enableMessageOrdering ? 'with' : 'without';
      throw new Error(
        `subscription "${name}" exists ${has} message ordering, which Pub/Sub cannot change on an existing subscription: ` +
          `delete it (its unacknowledged messages go with it) and declare it again ${wanted} ordering`,
      );
    }
    const { enableMessageOrdering: _fixedAtCreation, ...updatable } = policy;
    if (!policyMatches(current, policy)) await subscription.setMetadata(updatable);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the Pub/Sub bus is closed');
  }
}

interface ProtoDuration {
  seconds: number;
  nanos: number;
}

/** The subscription fields `declare` manages; everything else is left as Pub/Sub defaults it. */
interface SubscriptionPolicy {
  ackDeadlineSeconds: number;
  retryPolicy: { minimumBackoff: ProtoDuration; maximumBackoff: ProtoDuration };
  deadLetterPolicy?: { deadLetterTopic: string; maxDeliveryAttempts: number };
  enableMessageOrdering: boolean;
}

function retryPolicyOf(spec: Pick<SubscriptionSpec, 'minBackoffMs' | 'maxBackoffMs'>): SubscriptionPolicy['retryPolicy'] {
  return { minimumBackoff: protoDuration(spec.minBackoffMs), maximumBackoff: protoDuration(spec.maxBackoffMs) };
}

function protoDuration(milliseconds: number): ProtoDuration {
  return { seconds: Math.floor(milliseconds / 1000), nanos: (milliseconds % 1000) * 1_000_000 };
}

/** The shape of a duration in fetched metadata, where int64 seconds arrive as strings. */
interface FetchedDuration {
  seconds?: number | string | { toString(): string } | null;
  nanos?: number | null;
}

function sameDuration(fetched: FetchedDuration | null | undefined, wanted: ProtoDuration): boolean {
  return Number(String(fetched?.seconds ?? 0)) === wanted.seconds && (fetched?.nanos ?? 0) === wanted.nanos;
}

function durationMs(fetched: FetchedDuration | null | undefined): number | undefined {
  if (!fetched) return undefined;
  return Number(String(fetched.seconds ?? 0)) * 1_000 + Math.floor((fetched.nanos ?? 0) / 1_000_000);
}

function policyMatches(
  current: {
    ackDeadlineSeconds?: number | null;
    retryPolicy?: { minimumBackoff?: FetchedDuration | null; maximumBackoff?: FetchedDuration | null } | null;
    deadLetterPolicy?: { deadLetterTopic?: string | null; maxDeliveryAttempts?: number | null } | null;
  },
  wanted: SubscriptionPolicy,
): boolean {
  return (
    current.ackDeadlineSeconds === wanted.ackDeadlineSeconds &&
    sameDuration(current.retryPolicy?.minimumBackoff, wanted.retryPolicy.minimumBackoff) &&
    sameDuration(current.retryPolicy?.maximumBackoff, wanted.retryPolicy.maximumBackoff) &&
    (current.deadLetterPolicy?.deadLetterTopic ?? undefined) === wanted.deadLetterPolicy?.deadLetterTopic &&
    (current.deadLetterPolicy?.maxDeliveryAttempts ?? undefined) === wanted.deadLetterPolicy?.maxDeliveryAttempts
  );
}

function grpcCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'number' ? error.code : undefined;
}

/** Pub/Sub reports 0 when the subscription has no dead-letter policy; the bus promises 1-based. */
function deliveryAttemptOf(message: Message): number {
  return message.deliveryAttempt > 0 ? message.deliveryAttempt : 1;
}

/**
 * What an ordered subscriber needs to know of its subscription. On an ordered subscription Pub/Sub
 * forwards a message to its dead-letter topic only on a best-effort basis (the emulator not at
 * all), while its key's later messages wait for it; so the subscriber dead-letters the last failed
 * attempt itself, as Pub/Sub would have, and the key moves on.
 */
interface OrderedDelivery {
  /** After this many failed deliveries a message is dead-lettered rather than redelivered. */
  maxDeliveryAttempts: number | undefined;
  /** How long to wait for a failed message to come back before giving its key's later ones back. */
  redeliveryPatienceMs: number;
}

/**
 * One ordering key's messages on an ordered subscription. Pub/Sub sends a key's messages in order
 * but without waiting for acknowledgements, so the subscriber holds the later ones until the
 * handler is done with the one before: the bus promises one at a time (bus.ts).
 */
interface KeyLane {
  /** Received, not yet handed over, in the order Pub/Sub sent them (publish order). */
  held: Message[];
  /** With the handler. */
  current?: Message;
  /**
   * A failed message Pub/Sub will redeliver after its backoff: nothing later of the key goes
   * before it. The held messages are kept rather than handed back (nacked), since each nack would
   * count as a failed delivery of theirs and could dead-letter them for their predecessor's faults.
   */
  awaiting?: { id: string; timer: NodeJS.Timeout };
}

class PubSubSubscriber implements Subscriber {
  private inFlight = 0;
  /** Messages due to a handler, waiting for a free slot. */
  private readonly waiting: Message[] = [];
  private readonly lanes = new Map<string, KeyLane>();
  private closing: Promise<void> | undefined;
  onClosed: () => void = () => {};

  constructor(
    private readonly stream: Subscription,
    private readonly handler: MessageHandler,
    private readonly maxInFlight: number,
    private readonly ordering: OrderedDelivery | undefined,
    private readonly deadLetter: (message: Message, reason: string | undefined) => Promise<void>,
  ) {}

  receive(message: Message): void {
    if (this.closing) {
      message.nack();
      return;
    }
    const key = this.orderedKeyOf(message);
    if (key === undefined) {
      // A message whose lease ran out while it waited for a slot comes again: one run of it will do.
      const index = this.waiting.findIndex((waiting) => waiting.id === message.id);
      if (index >= 0) this.waiting[index] = message;
      else this.waiting.push(message);
      this.pump();
      return;
    }
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { held: [] }));
    const waitingCurrent = lane.current ? this.waiting.indexOf(lane.current) : -1;
    if (lane.current?.id === message.id && waitingCurrent >= 0) {
      // Redelivered while still waiting for a slot: the newer ack ID is the one to answer.
      this.waiting[waitingCurrent] = message;
      lane.current = message;
      return;
    }
    if (lane.current?.id === message.id) {
      // Redelivered because its ack deadline passed while the handler still runs: that handler's
      // result no longer counts (its ack ID has expired), so this delivery takes its turn.
      lane.current = undefined;
      lane.held.unshift(message);
    } else if (lane.awaiting?.id === message.id) {
      clearTimeout(lane.awaiting.timer);
      lane.awaiting = undefined;
      lane.held.unshift(message);
    } else {
      // Pub/Sub may send a held message again (its lease ran out, or an earlier one was
      // redelivered and the later ones with it): the newest delivery's ack ID is the one that counts.
      const index = lane.held.findIndex((held) => held.id === message.id);
      if (index >= 0) lane.held[index] = message;
      else lane.held.push(message);
    }
    this.advance(key, lane);
  }

  private orderedKeyOf(message: Message): string | undefined {
    return this.ordering && message.orderingKey ? message.orderingKey : undefined;
  }

  /** Hands a key's next message over, unless one of the key is with the handler or due back. */
  private advance(key: string, lane: KeyLane): void {
    if (lane.current || lane.awaiting) return;
    const next = lane.held.shift();
    if (!next) {
      this.lanes.delete(key);
      return;
    }
    lane.current = next;
    this.waiting.push(next);
    this.pump();
  }

  private pump(): void {
    while (!this.closing && this.inFlight < this.maxInFlight) {
      const message = this.waiting.shift();
      if (!message) return;
      this.inFlight += 1;
      void this.process(message)
        .then((acknowledged) => this.finished(message, acknowledged))
        .finally(() => {
          this.inFlight -= 1;
          this.pump();
        });
    }
  }

  /** The last attempt of a message on an ordered subscription, keyed or not (the emulator dead-letters neither). */
  private isLastOrderedAttempt(message: Message): boolean {
    const maxAttempts = this.ordering?.maxDeliveryAttempts;
    return maxAttempts !== undefined && deliveryAttemptOf(message) >= maxAttempts;
  }

  /** The key's turn passes on once its message is acknowledged or dead-lettered. */
  private finished(message: Message, acknowledged: boolean): void {
    const key = this.orderedKeyOf(message);
    const lane = key === undefined ? undefined : this.lanes.get(key);
    if (key === undefined || !lane || lane.current !== message) return;
    lane.current = undefined;
    // Not acknowledged after its last attempt (dead-lettering it here failed): Pub/Sub itself
    // dead-letters it, or tries to, and will not send it again.
    if (!acknowledged && !this.isLastOrderedAttempt(message) && !this.closing) {
      const timer = setTimeout(() => this.giveUpWaiting(key), this.ordering?.redeliveryPatienceMs ?? 0);
      timer.unref();
      lane.awaiting = { id: message.id, timer };
      return;
    }
    this.advance(key, lane);
  }

  /**
   * The failed message did not come back to this subscriber (another one got it, or Pub/Sub gave
   * up on it): hand the key's later messages back to Pub/Sub, which keeps them behind it.
   */
  private giveUpWaiting(key: string): void {
    const lane = this.lanes.get(key);
    if (!lane?.awaiting) return;
    lane.awaiting = undefined;
    for (const held of lane.held.splice(0)) held.nack();
    if (!lane.current) this.lanes.delete(key);
  }

  /** Runs the handler; true when the message ended acknowledged (dead-lettered counts). */
  private async process(message: Message): Promise<boolean> {
    const received: ReceivedMessage = {
      id: message.id,
      data: message.data,
      attributes: { ...message.attributes },
      publishTime: new Date(message.publishTime.getTime()),
      deliveryAttempt: deliveryAttemptOf(message),
      ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
    };
    try {
      await this.handler(received);
    } catch (error) {
      const permanent = error instanceof PermanentMessageError;
      if (!permanent && !this.isLastOrderedAttempt(message)) {
        message.nack();
        return false;
      }
      try {
        await this.deadLetter(message, permanent ? error.message : undefined);
      } catch {
        // Not dead-lettered, so not acknowledged either: the redelivery retries, and Pub/Sub's own
        // dead-letter policy catches it if this keeps failing.
        message.nack();
        return false;
      }
    }
    message.ack();
    return true;
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    // Handed back rather than left to expire, so another subscriber gets them without waiting out
    // the ack deadline.
    for (const message of this.waiting.splice(0)) message.nack();
    for (const lane of this.lanes.values()) {
      if (lane.awaiting) clearTimeout(lane.awaiting.timer);
      for (const message of lane.held.splice(0)) message.nack();
    }
    // Listeners stay until the stream is closed: removing the last 'message' listener would make
    // the library start its own close, and ours would then return without waiting for it.
    await this.stream.close();
    this.stream.removeAllListeners();
    this.onClosed();
  }
}
