import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_ATTRIBUTES, PermanentMessageError, type OutgoingMessage } from '../../../shared/bus/bus';
import { handlePushed, receivedFromPush } from '../../../shared/bus/push';

/** A Pub/Sub push of an ordered subscription, as the Functions Framework hands it to the function. */
function pushed(deliveryAttempt: number) {
  return receivedFromPush({
    message: {
      data: Buffer.from('{"action":"created"}').toString('base64'),
      attributes: { 'x-github-event': 'issue_comment' },
      messageId: 'message-1',
      publishTime: '2025-01-02T03:04:05.000Z',
      orderingKey: 'acme/widgets#7',
    },
    subscription: 'projects/p/subscriptions/events',
    deliveryAttempt,
  });
}

function deadLetterBus() {
  const published: OutgoingMessage[] = [];
  return { published, bus: { publish: async (_topic: string, message: OutgoingMessage) => (published.push(message), 'dead-1') } };
}

describe('pushed messages', () => {
  it('read the ordering key with the rest of the message', () => {
    const message = pushed(2);
    expect(message).toMatchObject({ id: 'message-1', deliveryAttempt: 2, orderingKey: 'acme/widgets#7' });
    expect(message.data.toString()).toBe('{"action":"created"}');
  });

  it('hand a failure back to Pub/Sub for redelivery while attempts remain', async () => {
    const { bus, published } = deadLetterBus();
    const failing = async () => {
      throw new Error('GitHub is down');
    };
    await expect(
      handlePushed(pushed(4), failing, { bus, topic: 'events-dead-letter', subscription: 'events', maxDeliveryAttempts: 5 }),
    ).rejects.toThrow('GitHub is down');
    expect(published).toEqual([]);
  });

  it('dead-letter the last attempt themselves, so the key’s later messages go on', async () => {
    const { bus, published } = deadLetterBus();
    const failing = async () => {
      throw new Error('GitHub is down');
    };
    await handlePushed(pushed(5), failing, { bus, topic: 'events-dead-letter', subscription: 'events', maxDeliveryAttempts: 5 });
    expect(published).toHaveLength(1);
    expect(published[0]?.attributes).toEqual({
      'x-github-event': 'issue_comment',
      [DEAD_LETTER_ATTRIBUTES.deliveryCount]: '5',
      [DEAD_LETTER_ATTRIBUTES.subscription]: 'events',
    });
  });

  it('dead-letter a permanent failure at once, with its reason', async () => {
    const { bus, published } = deadLetterBus();
    const malformed = async () => {
      throw new PermanentMessageError('not JSON');
    };
    await handlePushed(pushed(1), malformed, { bus, topic: 'events-dead-letter', subscription: 'events' });
    expect(published[0]?.attributes?.[DEAD_LETTER_ATTRIBUTES.reason]).toBe('not JSON');
  });
});
