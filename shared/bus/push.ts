import { z } from 'zod';
import { DEAD_LETTER_ATTRIBUTES, PermanentMessageError, type MessageBus, type MessageHandler, type ReceivedMessage } from './bus';

/**
 * Cloud Functions receive Pub/Sub messages pushed to them rather than pulled: the function
 * acknowledges by returning and asks for a retry by throwing. On an ordered push subscription
 * Pub/Sub pushes a key's next message only once the one before is acknowledged, so throwing also
 * holds the key's later messages back until the retry succeeds or the message is dead-lettered. These helpers give a pushed message
 * the same shape and outcomes as one from `MessageBus.subscribe`, so handlers are written once.
 */

const PushedDataSchema = z.object({
  message: z.object({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    messageId: z.string(),
    publishTime: z.string(),
    orderingKey: z.string().optional(),
  }),
  subscription: z.string().optional(),
  deliveryAttempt: z.number().int().optional(),
});

/** The CloudEvent `data` of a Pub/Sub push, as a ReceivedMessage; throws on anything else. */
export function receivedFromPush(data: unknown): ReceivedMessage {
  const parsed = PushedDataSchema.safeParse(data);
  if (!parsed.success) throw new PermanentMessageError(`not a Pub/Sub push: ${parsed.error.message}`);
  const { message, deliveryAttempt } = parsed.data;
  return {
    id: message.messageId,
    data: Buffer.from(message.data ?? '', 'base64'),
    attributes: message.attributes ?? {},
    publishTime: new Date(message.publishTime),
    deliveryAttempt: deliveryAttempt ?? 1,
    ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
  };
}

/**
 * Runs the handler on a pushed message. A PermanentMessageError sends the message to the dead-letter
 * topic and returns (acknowledged); any other failure propagates, so Pub/Sub redelivers with backoff
 * and dead-letters after the subscription's maximum attempts.
 *
 * Given `maxDeliveryAttempts`, the last attempt's failure is dead-lettered here too, as Pub/Sub
 * would: on an ordered subscription Pub/Sub forwards to the dead-letter topic only on a best-effort
 * basis, while the key's later messages wait for this one. If that publish fails, the failure
 * propagates and Pub/Sub's own dead-lettering remains.
 */
export async function handlePushed(
  message: ReceivedMessage,
  handler: MessageHandler,
  deadLetter: { bus: Pick<MessageBus, 'publish'>; topic: string; subscription: string; maxDeliveryAttempts?: number },
): Promise<void> {
  try {
    await handler(message);
  } catch (error) {
    const permanent = error instanceof PermanentMessageError;
    const lastAttempt = deadLetter.maxDeliveryAttempts !== undefined && message.deliveryAttempt >= deadLetter.maxDeliveryAttempts;
    if (!permanent && !lastAttempt) throw error;
    await deadLetter.bus.publish(deadLetter.topic, {
      data: message.data,
      attributes: {
        ...message.attributes,
        [DEAD_LETTER_ATTRIBUTES.deliveryCount]: String(message.deliveryAttempt),
        [DEAD_LETTER_ATTRIBUTES.subscription]: deadLetter.subscription,
        ...(permanent ? { [DEAD_LETTER_ATTRIBUTES.reason]: error.message } : {}),
      },
    });
  }
}
