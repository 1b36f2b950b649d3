import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Journal, type EncodedRecord } from '../journal/journal';
import {
  DEAD_LETTER_ATTRIBUTES,
  DEFAULT_SUBSCRIPTION_POLICY,
  PermanentMessageError,
  backoffDelayMs,
  checkOrderingKey,
  checkResourceName,
  checkSubscriptionSpec,
  deadLetterTopicOf,
  type MessageBus,
  type MessageHandler,
  type OutgoingMessage,
  type ReceivedMessage,
  type Subscriber,
  type SubscriptionBacklog,
  type SubscriptionSpec,
  type TopicName,
} from './bus';

/**
 * The bus of local mode: Pub/Sub's semantics (see bus.ts) in one process, so that local mode and
 * the cloud behave alike and the same contract suite covers both.
 *
 * With `dataDir`, the topology and every subscription's unacknowledged messages are journaled, so
 * a restart redelivers whatever was not acknowledged, as Pub/Sub would. Messages keep their
 * publish order in the journal, so an ordered subscription delivers each key in the same order
 * after a restart as before it. The data directory's lock
 * belongs to whoever owns the whole directory (the local store), so the bus does not take it.
 */
export interface InProcessBusOptions {
  dataDir?: string;
}

/** The project name the dead-letter attributes report, where Pub/Sub would name a real project. */
const LOCAL_PROJECT = 'local';
const JOURNAL_NAME = 'bus';
/**
 * Compact once the log holds this many records more than the live state needs. Each compaction
 * costs a few disk flushes of its own, and a busy bus (every webhook is a publish and an ack)
 * reached 1,000 several times a second; 5,000 keeps the log under about 35 MB of webhooks.
 */
const COMPACTION_SLACK = 5_000;

/**
 * A subscription's policy. Dead-letter subscriptions have no dead-letter topic of their own
 * (`maxDeliveryAttempts` undefined): like Pub/Sub, they retain their messages until acknowledged.
 */
interface SubscriptionPolicy {
  name: string;
  topic: TopicName;
  maxDeliveryAttempts?: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  ackDeadlineSeconds: number;
  messageOrdering: boolean;
}

interface StoredMessage {
  id: string;
  data: Buffer;
  attributes: Record<string, string>;
  publishTime: Date;
  /** Deliveries made so far; the next delivery is attempt `deliveryAttempts + 1`. */
  deliveryAttempts: number;
  orderingKey?: string;
}

/** One delivery of a message to a handler, current until acknowledged, failed or expired. */
interface Lease {
  message: StoredMessage;
  consumer: Consumer;
  deadlineTimer: NodeJS.Timeout | undefined;
  /** The delivery is over: the handler finished or the ack deadline passed. */
  settled: boolean;
  /** Who waits for it to be over (a closing consumer); made only when someone does. */
  settledWaiters: (() => void)[] | undefined;
}

function settleLease(lease: Lease): void {
  if (lease.settled) return;
  lease.settled = true;
  lease.consumer.leaseSettled(lease);
  for (const resolve of lease.settledWaiters ?? []) resolve();
}

function leaseSettled(lease: Lease): Promise<void> {
  if (lease.settled) return Promise.resolve();
  return new Promise((resolve) => (lease.settledWaiters ??= []).push(resolve));
}

interface BusStorage {
  deliverToTopic(topic: TopicName, data: Buffer, attributes: Record<string, string>, orderingKey: string | undefined): Promise<string>;
  persistMessage(subscription: string, message: StoredMessage): Promise<void> | undefined;
  persistAck(subscription: string, id: string): void;
  track(write: Promise<unknown> | undefined): void;
}

const journalRecordSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('topic'), name: z.string() }),
  z.object({
    kind: z.literal('subscription'),
    name: z.string(),
    topic: z.string(),
    maxDeliveryAttempts: z.number().int().positive().optional(),
    minBackoffMs: z.number().int().nonnegative(),
    maxBackoffMs: z.number().int().nonnegative(),
    ackDeadlineSeconds: z.number().int().positive(),
    // Absent in journals written before ordering existed: those subscriptions were unordered.
    messageOrdering: z.boolean().optional(),
  }),
  z.object({
    kind: z.literal('message'),
    subscription: z.string(),
    id: z.string(),
    // Journals written before attachments carry the body here; newer ones beside the line.
    dataBase64: z.string().optional(),
    attributes: z.record(z.string(), z.string()),
    publishTimeMs: z.number(),
    deliveryAttempts: z.number().int().nonnegative(),
    orderingKey: z.string().optional(),
  }),
  z.object({ kind: z.literal('ack'), subscription: z.string(), id: z.string() }),
]);
type JournalLine = z.infer<typeof journalRecordSchema>;
type MessageLine = Extract<JournalLine, { kind: 'message' }>;

/** A journal record: a message's body is its attachment, written to disk as it is. */
type JournalRecord = Exclude<JournalLine, MessageLine> | (Omit<MessageLine, 'dataBase64'> & { data: Buffer });

function parseRecord(value: unknown, attachment: Buffer | undefined): JournalRecord {
  const line = journalRecordSchema.parse(value);
  if (line.kind !== 'message') return line;
  const { dataBase64, ...message } = line;
  if (attachment) return { ...message, data: attachment };
  if (dataBase64 !== undefined) return { ...message, data: Buffer.from(dataBase64, 'base64') };
  throw new Error(`message ${line.id} has no body`);
}

function encodeRecord(record: JournalRecord): EncodedRecord {
  if (record.kind !== 'message') return { json: JSON.stringify(record) };
  const { data, ...rest } = record;
  return { json: JSON.stringify(rest), attachment: data };
}

export class InProcessBus implements MessageBus {
  private readonly topics = new Set<TopicName>();
  private readonly subscriptions = new Map<string, SubscriptionState>();
  private readonly journal: Journal<JournalRecord> | undefined;
  private journalFailure: Error | undefined;
  private closed = false;
  private readonly idPrefix = randomBytes(9).toString('base64url');
  private messageCount = 0;
  /** What subscriptions may ask of the bus, kept off its public surface. */
  private readonly storage: BusStorage = {
    deliverToTopic: (topic, data, attributes, orderingKey) => this.deliverToTopic(topic, data, attributes, orderingKey),
    persistMessage: (subscription, message) => this.persistMessage(subscription, message),
    persistAck: (subscription, id) => this.persistAck(subscription, id),
    track: (write) => this.track(write),
  };

  constructor(options: InProcessBusOptions = {}) {
    if (options.dataDir === undefined) return;
    const opened = Journal.open({
      dir: options.dataDir,
      name: JOURNAL_NAME,
      parse: parseRecord,
      encode: encodeRecord,
    });
    this.journal = opened.journal;
    try {
      for (const record of opened.records) this.replay(record);
    } catch (error) {
      void opened.journal.close();
      throw error;
    }
    for (const state of this.subscriptions.values()) state.requeueAll();
  }

  /**
   * Each subscription's backlog, for the health page: this bus holds every message, so it is
   * counted here rather than estimated. Dead-letter subscriptions are left out: they only retain.
   */
  backlog(): SubscriptionBacklog[] {
    const backlogs: SubscriptionBacklog[] = [];
    const deadLetters = new Set([...this.subscriptions.keys()].map(deadLetterTopicOf));
    for (const [name, state] of this.subscriptions) {
      if (deadLetters.has(name)) continue;
      let oldest: number | undefined;
      for (const message of state.messages.values()) oldest = Math.min(oldest ?? Infinity, message.publishTime.getTime());
      backlogs.push({ subscription: name, topic: state.policy.topic, unacknowledged: state.messages.size, ...(oldest === undefined ? {} : { oldestPublishedAt: oldest }) });
    }
    return backlogs.sort((a, b) => a.subscription.localeCompare(b.subscription));
  }

  async declare(topics: readonly TopicName[], subscriptions: readonly SubscriptionSpec[]): Promise<void> {
    this.assertOpen();
    for (const topic of topics) checkResourceName('topic', topic);
    for (const spec of subscriptions) {
      checkSubscriptionSpec(spec);
      if (!this.topics.has(spec.topic) && !topics.includes(spec.topic)) {
        throw new Error(`subscription "${spec.name}" is on topic "${spec.topic}", which is not declared`);
      }
      const existing = this.subscriptions.get(spec.name);
      if (existing && existing.policy.topic !== spec.topic) {
        throw new Error(`subscription "${spec.name}" already exists on topic "${existing.policy.topic}", not "${spec.topic}"`);
      }
    }

    const writes: Promise<void>[] = [];
    const declareTopic = (name: TopicName) => {
      if (this.topics.has(name)) return;
      this.topics.add(name);
      if (this.journal) writes.push(this.journal.append({ kind: 'topic', name }));
    };
    const declareSubscription = (policy: SubscriptionPolicy) => {
      const existing = this.subscriptions.get(policy.name);
      if (existing && samePolicy(existing.policy, policy)) return;
      // Unlike Pub/Sub, ordering may be switched on an existing subscription here, so that a data
      // directory from before a subscription became ordered keeps its messages.
      if (existing) existing.changePolicy(policy);
      else this.subscriptions.set(policy.name, new SubscriptionState(this.storage, policy));
      if (this.journal) writes.push(this.journal.append({ kind: 'subscription', ...policy }));
    };

    for (const topic of topics) declareTopic(topic);
    for (const spec of subscriptions) {
      const deadLetters = deadLetterTopicOf(spec.name);
      declareTopic(deadLetters);
      declareSubscription({
        name: deadLetters,
        topic: deadLetters,
        minBackoffMs: DEFAULT_SUBSCRIPTION_POLICY.minBackoffMs,
        maxBackoffMs: DEFAULT_SUBSCRIPTION_POLICY.maxBackoffMs,
        ackDeadlineSeconds: DEFAULT_SUBSCRIPTION_POLICY.ackDeadlineSeconds,
        messageOrdering: false,
      });
      declareSubscription({
        name: spec.name,
        topic: spec.topic,
        maxDeliveryAttempts: spec.maxDeliveryAttempts,
        minBackoffMs: spec.minBackoffMs,
        maxBackoffMs: spec.maxBackoffMs,
        ackDeadlineSeconds: spec.ackDeadlineSeconds,
        messageOrdering: spec.messageOrdering ?? false,
      });
    }
    await Promise.all(writes);
  }

  publish(topic: TopicName, message: OutgoingMessage): Promise<string> {
    try {
      this.assertOpen();
      if (!this.topics.has(topic)) {
        throw new Error(`cannot publish to topic "${topic}": it is not declared (declare the topology first)`);
      }
      if (message.orderingKey) checkOrderingKey(message.orderingKey);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    // Not copied (see OutgoingMessage): the journal writes it as it is, and each delivery gets a copy.
    const data = typeof message.data === 'string' ? Buffer.from(message.data, 'utf8') : message.data;
    return this.deliverToTopic(topic, data, { ...message.attributes }, message.orderingKey || undefined);
  }

  async subscribe(subscription: string, handler: MessageHandler, options: { maxInFlight?: number } = {}): Promise<Subscriber> {
    this.assertOpen();
    const state = this.subscriptions.get(subscription);
    if (!state) throw new Error(`cannot subscribe to "${subscription}": the subscription is not declared`);
    const maxInFlight = options.maxInFlight ?? 10;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new Error(`maxInFlight must be a positive integer (got ${maxInFlight})`);
    }
    const consumer = new Consumer(handler, maxInFlight, state);
    state.consumers.push(consumer);
    state.pump();
    return consumer;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const states = [...this.subscriptions.values()];
    // Copied first: closing a consumer removes it from its subscription's list.
    const consumers = states.flatMap((state) => [...state.consumers]);
    await Promise.all(consumers.map((consumer) => consumer.close()));
    for (const state of states) state.stopTimers();
    // Every write is queued by now; closing the journal makes them durable at once, including
    // acks that would otherwise wait for a later flush.
    await this.journal?.close();
  }

  /**
   * Unique among every message this data dir will ever hold: random per bus, then a count. Cheaper
   * than a random UUID per message, and shorter in every journal record that names it.
   */
  private nextMessageId(): string {
    this.messageCount += 1;
    return `${this.idPrefix}-${this.messageCount.toString(36)}`;
  }

  /** Fans a message out to the topic's subscriptions; resolves once that is durable. */
  private deliverToTopic(topic: TopicName, data: Buffer, attributes: Record<string, string>, orderingKey: string | undefined): Promise<string> {
    const id = this.nextMessageId();
    const publishTime = new Date();
    let write: Promise<void> | undefined;
    let writes: Promise<void>[] | undefined;
    for (const state of this.subscriptions.values()) {
      if (state.policy.topic !== topic) continue;
      const stored: StoredMessage = { id, data, attributes, publishTime, deliveryAttempts: 0, ...(orderingKey ? { orderingKey } : {}) };
      const written = this.persistMessage(state.policy.name, stored);
      // Most topics have one subscription: its write is awaited as it is, without Promise.all.
      if (written && write) (writes ??= [write]).push(written);
      else if (written) write = written;
      state.enqueue(stored);
    }
    this.compactIfWorthwhile();
    if (writes) return Promise.all(writes).then(() => id);
    if (write) return write.then(() => id);
    return Promise.resolve(id);
  }

  /** Journals a message's current state; undefined when the bus keeps nothing on disk. */
  private persistMessage(subscription: string, message: StoredMessage): Promise<void> | undefined {
    return this.journal?.append(messageRecord(subscription, message));
  }

  private persistAck(subscription: string, id: string): void {
    if (!this.journal) return;
    // An ack lost in a crash means one redelivery, which at-least-once delivery allows; so acks
    // ride on the publishes' disk flushes instead of adding their own.
    this.track(this.journal.appendEventually({ kind: 'ack', subscription, id }));
    this.compactIfWorthwhile();
  }

  /**
   * Records a write nobody waits for (closing the journal finishes it). If it fails, the worst
   * outcome is a redelivery after a restart, which at-least-once delivery allows; the failure is
   * kept so the next publish reports it.
   */
  private track(write: Promise<unknown> | undefined): void {
    // Appends that share a journal write share its promise: one handler each is enough.
    if (!write || write === this.lastTracked) return;
    this.lastTracked = write;
    write.catch(this.noteJournalFailure);
  }

  private lastTracked: Promise<unknown> | undefined;

  private readonly noteJournalFailure = (error: unknown) => {
    this.journalFailure ??= error instanceof Error ? error : new Error(String(error));
  };

  private compactIfWorthwhile(): void {
    if (!this.journal || this.closed) return;
    let live = this.topics.size + this.subscriptions.size;
    for (const state of this.subscriptions.values()) live += state.messages.size;
    if (this.journal.appendedSinceCompaction < live + COMPACTION_SLACK) return;
    this.journal.compact(this.snapshot()).catch((error: unknown) => {
      // The old snapshot and logs are intact, so nothing is lost; but a disk that cannot take a
      // compaction will soon fail appends too, so publishers hear about it now.
      this.journalFailure ??= error instanceof Error ? error : new Error(String(error));
    });
  }

  private *snapshot(): Generator<JournalRecord> {
    for (const name of this.topics) yield { kind: 'topic', name };
    for (const state of this.subscriptions.values()) yield { kind: 'subscription', ...state.policy };
    for (const state of this.subscriptions.values()) {
      // In publish order: the order an ordered subscription delivers each key in after a restart.
      for (const message of state.messages.values()) yield messageRecord(state.policy.name, message);
    }
  }

  private replay(record: JournalRecord): void {
    switch (record.kind) {
      case 'topic':
        this.topics.add(record.name);
        return;
      case 'subscription': {
        const { kind: _kind, messageOrdering, ...rest } = record;
        const policy: SubscriptionPolicy = { ...rest, messageOrdering: messageOrdering ?? false };
        const existing = this.subscriptions.get(policy.name);
        if (existing) existing.policy = policy;
        else this.subscriptions.set(policy.name, new SubscriptionState(this.storage, policy));
        return;
      }
      case 'message': {
        const state = this.subscriptions.get(record.subscription);
        if (!state) throw new Error(`bus journal: message ${record.id} is for unknown subscription "${record.subscription}"`);
        // A later record of the same message (its failure count) updates it in place: a Map keeps
        // the first insertion's position, which is its publish position.
        state.messages.set(record.id, {
          id: record.id,
          data: record.data,
          attributes: record.attributes,
          publishTime: new Date(record.publishTimeMs),
          deliveryAttempts: record.deliveryAttempts,
          ...(record.orderingKey ? { orderingKey: record.orderingKey } : {}),
        });
        return;
      }
      case 'ack':
        this.subscriptions.get(record.subscription)?.messages.delete(record.id);
        return;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the in-process bus is closed');
    if (this.journalFailure) {
      throw new Error(`the in-process bus could not write its journal: ${this.journalFailure.message}`, {
        cause: this.journalFailure,
      });
    }
  }
}

function messageRecord(subscription: string, message: StoredMessage): JournalRecord {
  return {
    kind: 'message',
    subscription,
    id: message.id,
    data: message.data,
    attributes: message.attributes,
    publishTimeMs: message.publishTime.getTime(),
    deliveryAttempts: message.deliveryAttempts,
    ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
  };
}

function samePolicy(a: SubscriptionPolicy, b: SubscriptionPolicy): boolean {
  return (
    a.topic === b.topic &&
    a.messageOrdering === b.messageOrdering &&
    a.maxDeliveryAttempts === b.maxDeliveryAttempts &&
    a.minBackoffMs === b.minBackoffMs &&
    a.maxBackoffMs === b.maxBackoffMs &&
    a.ackDeadlineSeconds === b.ackDeadlineSeconds
  );
}

/** A subscription's unacknowledged messages and the machinery that delivers them. */
class SubscriptionState {
  /** Every unacknowledged message, in publish order. */
  readonly messages = new Map<string, StoredMessage>();
  /**
   * Messages waiting for a consumer with room: on an ordered subscription, of each key only the
   * first unacknowledged message, the others waiting in `keyQueues` behind it.
   */
  private readonly ready: StoredMessage[] = [];
  /** On an ordered subscription, each key's unacknowledged messages in publish order. */
  private readonly keyQueues = new Map<string, StoredMessage[]>();
  /** Failed messages waiting out their backoff. */
  private readonly backoffTimers = new Map<string, NodeJS.Timeout>();
  private readonly leases = new Map<string, Lease>();
  readonly consumers: Consumer[] = [];
  private nextConsumer = 0;

  constructor(
    private readonly bus: BusStorage,
    public policy: SubscriptionPolicy,
  ) {}

  enqueue(message: StoredMessage): void {
    this.messages.set(message.id, message);
    // Otherwise behind an earlier message of its key: delivered once that one is acknowledged.
    if (!this.joinKeyQueue(message)) return;
    this.ready.push(message);
    this.pump();
  }

  /**
   * After a restart nothing is leased or backing off: every unacknowledged message is due again,
   * each key's in publish order.
   */
  requeueAll(): void {
    this.rebuildQueues();
  }

  changePolicy(policy: SubscriptionPolicy): void {
    const orderingChanged = policy.messageOrdering !== this.policy.messageOrdering;
    this.policy = policy;
    if (!orderingChanged) return;
    this.rebuildQueues();
    this.pump();
  }

  /**
   * Sorts the unacknowledged messages into ready and waiting under the current policy. Messages
   * being delivered or backing off stay where they are; they come back to ready by themselves.
   */
  private rebuildQueues(): void {
    this.ready.length = 0;
    this.keyQueues.clear();
    for (const message of this.messages.values()) {
      const due = this.joinKeyQueue(message);
      if (due && !this.leases.has(message.id) && !this.backoffTimers.has(message.id)) this.ready.push(message);
    }
  }

  /** Appends the message to its key's queue; true when nothing of its key is before it. */
  private joinKeyQueue(message: StoredMessage): boolean {
    const key = this.orderedKeyOf(message);
    if (key === undefined) return true;
    const queue = this.keyQueues.get(key);
    if (!queue) {
      this.keyQueues.set(key, [message]);
      return true;
    }
    queue.push(message);
    return false;
  }

  /** The key that orders this message here: none on an unordered subscription. */
  private orderedKeyOf(message: StoredMessage): string | undefined {
    return this.policy.messageOrdering ? message.orderingKey : undefined;
  }

  /** Whether nothing published before it with its key is still unacknowledged. */
  private isFirstOfKey(message: StoredMessage): boolean {
    const key = this.orderedKeyOf(message);
    return key === undefined || this.keyQueues.get(key)?.[0] === message;
  }

  /**
   * A message left the subscription (acknowledged or dead-lettered): the next of its key, if any,
   * becomes due.
   */
  private releaseKey(message: StoredMessage): void {
    const key = this.orderedKeyOf(message);
    const queue = key === undefined ? undefined : this.keyQueues.get(key);
    if (key === undefined || !queue) return;
    const index = queue.indexOf(message);
    if (index >= 0) queue.splice(index, 1);
    const next = queue[0];
    if (!next) {
      this.keyQueues.delete(key);
      return;
    }
    if (index === 0 && !this.leases.has(next.id) && !this.backoffTimers.has(next.id)) {
      this.ready.push(next);
      this.pump();
    }
  }

  /** Hands ready messages to consumers with room, round robin. */
  pump(): void {
    while (this.ready.length > 0) {
      const consumer = this.pickConsumer();
      if (!consumer) return;
      const message = this.ready.shift();
      if (message && this.messages.has(message.id) && !this.leases.has(message.id)) this.deliver(message, consumer);
    }
  }

  private pickConsumer(): Consumer | undefined {
    for (let tried = 0; tried < this.consumers.length; tried++) {
      const index = (this.nextConsumer + tried) % this.consumers.length;
      const consumer = this.consumers[index];
      if (consumer?.hasRoom()) {
        this.nextConsumer = index + 1;
        return consumer;
      }
    }
    return undefined;
  }

  removeConsumer(consumer: Consumer): void {
    const index = this.consumers.indexOf(consumer);
    if (index >= 0) this.consumers.splice(index, 1);
  }

  private deliver(message: StoredMessage, consumer: Consumer): void {
    message.deliveryAttempts += 1;
    const lease: Lease = { message, consumer, deadlineTimer: undefined, settled: false, settledWaiters: undefined };
    // Pub/Sub redelivers a message whose deadline passed even though the handler may still be
    // running; its eventual result is then ignored, as an ack with an expired ack ID would be.
    lease.deadlineTimer = setTimeout(this.expire, this.policy.ackDeadlineSeconds * 1000, lease);
    this.leases.set(message.id, lease);
    const received: ReceivedMessage = {
      id: message.id,
      data: Buffer.from(message.data),
      attributes: { ...message.attributes },
      publishTime: new Date(message.publishTime),
      deliveryAttempt: message.deliveryAttempts,
      ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
    };
    void consumer.run(lease, received);
  }

  private readonly expire = (lease: Lease) => {
    this.fail(lease, new Error(`ack deadline of ${this.policy.ackDeadlineSeconds}s exceeded`));
  };

  /** The handler of a delivery returned (`ok`) or threw. */
  finish(lease: Lease, outcome: Outcome): void {
    if (outcome.ok) this.ack(lease);
    else this.fail(lease, outcome.error);
  }

  private isCurrent(lease: Lease): boolean {
    return this.leases.get(lease.message.id) === lease;
  }

  private endLease(lease: Lease): void {
    clearTimeout(lease.deadlineTimer);
    this.leases.delete(lease.message.id);
    settleLease(lease);
  }

  private ack(lease: Lease): void {
    if (!this.isCurrent(lease)) return;
    this.endLease(lease);
    this.messages.delete(lease.message.id);
    this.bus.persistAck(this.policy.name, lease.message.id);
    this.releaseKey(lease.message);
  }

  private fail(lease: Lease, error: unknown): void {
    if (!this.isCurrent(lease)) return;
    this.endLease(lease);
    const message = lease.message;
    if (error instanceof PermanentMessageError) {
      this.deadLetter(message, error.message);
      return;
    }
    if (this.policy.maxDeliveryAttempts !== undefined && message.deliveryAttempts >= this.policy.maxDeliveryAttempts) {
      this.deadLetter(message, undefined);
      return;
    }
    this.bus.track(this.bus.persistMessage(this.policy.name, message));
    const timer = setTimeout(() => {
      this.backoffTimers.delete(message.id);
      if (!this.messages.has(message.id) || !this.isFirstOfKey(message)) return;
      this.ready.push(message);
      this.pump();
    }, backoffDelayMs(this.policy, message.deliveryAttempts));
    this.backoffTimers.set(message.id, timer);
  }

  private deadLetter(message: StoredMessage, reason: string | undefined): void {
    const attributes: Record<string, string> = {
      ...message.attributes,
      [DEAD_LETTER_ATTRIBUTES.deliveryCount]: String(message.deliveryAttempts),
      [DEAD_LETTER_ATTRIBUTES.subscription]: this.policy.name,
      [DEAD_LETTER_ATTRIBUTES.subscriptionProject]: LOCAL_PROJECT,
      [DEAD_LETTER_ATTRIBUTES.topicPublishTime]: message.publishTime.toISOString(),
    };
    if (reason !== undefined) attributes[DEAD_LETTER_ATTRIBUTES.reason] = reason;
    // The dead letter is journaled before the removal from this subscription, so a crash between
    // the two can duplicate it but never lose it.
    const deadLetters = deadLetterTopicOf(this.policy.name);
    this.bus.track(this.bus.deliverToTopic(deadLetters, message.data, attributes, message.orderingKey));
    this.messages.delete(message.id);
    this.bus.persistAck(this.policy.name, message.id);
    this.releaseKey(message);
  }

  stopTimers(): void {
    for (const timer of this.backoffTimers.values()) clearTimeout(timer);
    this.backoffTimers.clear();
    for (const lease of this.leases.values()) {
      clearTimeout(lease.deadlineTimer);
      settleLease(lease);
    }
    this.leases.clear();
  }
}

type Outcome = { ok: true } | { ok: false; error: unknown };
const SUCCEEDED: Outcome = { ok: true };

/** One `subscribe` call: a handler and its share of the subscription's deliveries. */
class Consumer implements Subscriber {
  private inFlight = 0;
  private readonly leases = new Set<Lease>();
  private closed = false;

  constructor(
    private readonly handler: MessageHandler,
    private readonly maxInFlight: number,
    private readonly state: SubscriptionState,
  ) {}

  hasRoom(): boolean {
    return !this.closed && this.inFlight < this.maxInFlight;
  }

  async run(lease: Lease, message: ReceivedMessage): Promise<void> {
    this.inFlight += 1;
    this.leases.add(lease);
    // So that no handler runs inside the publish call that enqueued its message.
    await undefined;
    let outcome: Outcome;
    try {
      // Inside the try, so that a handler that throws synchronously is a failure like any other.
      await this.handler(message);
      outcome = SUCCEEDED;
    } catch (error) {
      outcome = { ok: false, error };
    }
    try {
      this.state.finish(lease, outcome);
    } finally {
      // The slot is held until the handler returns, even past its ack deadline: maxInFlight
      // bounds concurrent handler calls, not leases.
      this.inFlight -= 1;
      this.state.pump();
    }
  }

  leaseSettled(lease: Lease): void {
    this.leases.delete(lease);
  }

  /** Waits for deliveries in flight, each until its handler finishes or its ack deadline passes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state.removeConsumer(this);
    await Promise.all([...this.leases].map(leaseSettled));
  }
}
