import { Duration, PubSub, type ClientConfig, type Message, type Subscription, type Topic } from '@google-cloud/pubsub';
import {
  DEAD_LETTER_ATTRIBUTES,
  DEFAULT_SUBSCRIPTION_POLICY,
  PermanentMessageError,
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
    const config: ClientConfig = { projectId: options.projectId };
    const endpoint = options.apiEndpoint ?? process.env.PUBSUB_EMULATOR_HOST;
    if (options.apiEndpoint !== undefined) config.apiEndpoint = options.apiEndpoint;
    if (endpoint !== undefined && !isGoogleEndpoint(endpoint)) {
      // An emulator needs no credentials, but without a universe domain the client still looks
      // for Application Default Credentials to learn it, probing the GCE metadata server and
      // printing a MetadataLookupWarning. Naming the default universe skips that probe; emulator
      // mode must then be forced, because the library otherwise reads a universe domain as "real
      // Google".
      config.emulatorMode = true;
      config.universeDomain = 'googleapis.com';
    }
    this.client = new PubSub(config);
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
        }),
      ),
    );
  }

  async publish(topic: TopicName, message: OutgoingMessage): Promise<string> {
    this.assertOpen();
    const data = typeof message.data === 'string' ? Buffer.from(message.data, 'utf8') : message.data;
    try {
      return await this.topic(topic).publishMessage({ data, attributes: message.attributes ?? {} });
    } catch (error) {
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
    try {
      const [metadata] = await this.client.subscription(subscription).getMetadata();
      ackDeadlineSeconds = metadata.ackDeadlineSeconds ?? DEFAULT_SUBSCRIPTION_POLICY.ackDeadlineSeconds;
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
      flowControl: { maxMessages: maxInFlight, allowExcessMessages: true },
      // The library keeps extending leases for an hour by default; stopping at the subscription's
      // ack deadline gives "a delivery that takes too long counts as failed", as in-process does.
      maxExtensionTime: ackDeadline,
      maxAckDeadline: ackDeadline,
      streamingOptions: { maxStreams: 1 },
      // Wait for handlers in flight, but no longer than their deadline: after it they are
      // redelivered anyway.
      closeOptions: { behavior: 'WAIT', timeout: ackDeadline },
    });
    const subscriber = new PubSubSubscriber(stream, handler, maxInFlight, (message, reason) =>
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

  /** What Pub/Sub does after the last failed attempt, done at once for a PermanentMessageError. */
  private async deadLetter(subscription: string, message: Message, reason: string): Promise<void> {
    await this.topic(deadLetterTopicOf(subscription)).publishMessage({
      data: message.data,
      attributes: {
        ...message.attributes,
        [DEAD_LETTER_ATTRIBUTES.deliveryCount]: String(deliveryAttemptOf(message)),
        [DEAD_LETTER_ATTRIBUTES.subscription]: subscription,
        [DEAD_LETTER_ATTRIBUTES.subscriptionProject]: this.projectId,
        [DEAD_LETTER_ATTRIBUTES.topicPublishTime]: new Date(message.publishTime.getTime()).toISOString(),
        [DEAD_LETTER_ATTRIBUTES.reason]: reason,
      },
    });
  }

  private topic(name: TopicName): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = this.client.topic(name);
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
    if (!policyMatches(current, policy)) await subscription.setMetadata(policy);
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

function isGoogleEndpoint(endpoint: string): boolean {
  const host = endpoint.replace(/^https?:\/\//, '').split(/[:/]/)[0] ?? '';
  return host.endsWith('.googleapis.com');
}

function grpcCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'number' ? error.code : undefined;
}

/** Pub/Sub reports 0 when the subscription has no dead-letter policy; the bus promises 1-based. */
function deliveryAttemptOf(message: Message): number {
  return message.deliveryAttempt > 0 ? message.deliveryAttempt : 1;
}

class PubSubSubscriber implements Subscriber {
  private inFlight = 0;
  private readonly waiting: Message[] = [];
  private closing: Promise<void> | undefined;
  onClosed: () => void = () => {};

  constructor(
    private readonly stream: Subscription,
    private readonly handler: MessageHandler,
    private readonly maxInFlight: number,
    private readonly deadLetter: (message: Message, reason: string) => Promise<void>,
  ) {}

  receive(message: Message): void {
    if (this.closing) {
      message.nack();
      return;
    }
    this.waiting.push(message);
    this.pump();
  }

  private pump(): void {
    while (!this.closing && this.inFlight < this.maxInFlight) {
      const message = this.waiting.shift();
      if (!message) return;
      this.inFlight += 1;
      void this.process(message).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async process(message: Message): Promise<void> {
    const received: ReceivedMessage = {
      id: message.id,
      data: message.data,
      attributes: { ...message.attributes },
      publishTime: new Date(message.publishTime.getTime()),
      deliveryAttempt: deliveryAttemptOf(message),
    };
    try {
      await this.handler(received);
    } catch (error) {
      if (!(error instanceof PermanentMessageError)) {
        message.nack();
        return;
      }
      try {
        await this.deadLetter(message, error.message);
      } catch {
        // Not dead-lettered, so not acknowledged either: the redelivery retries, and Pub/Sub's own
        // dead-letter policy catches it if this keeps failing.
        message.nack();
        return;
      }
    }
    message.ack();
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    // Handed back rather than left to expire, so another subscriber gets them without waiting out
    // the ack deadline.
    for (const message of this.waiting.splice(0)) message.nack();
    // Listeners stay until the stream is closed: removing the last 'message' listener would make
    // the library start its own close, and ours would then return without waiting for it.
    await this.stream.close();
    this.stream.removeAllListeners();
    this.onClosed();
  }
}
