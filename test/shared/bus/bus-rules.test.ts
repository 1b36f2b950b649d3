import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SUBSCRIPTION_POLICY,
  backoffDelayMs,
  checkResourceName,
  checkSubscriptionSpec,
  deadLetterTopicOf,
} from '../../../shared/bus/bus';

describe('redelivery backoff', () => {
  it('doubles from the minimum after each failed delivery', () => {
    const policy = { minBackoffMs: 100, maxBackoffMs: 60_000 };
    expect([1, 2, 3, 4, 5].map((failures) => backoffDelayMs(policy, failures))).toEqual([100, 200, 400, 800, 1_600]);
  });

  it('never exceeds the maximum, however many deliveries failed', () => {
    const policy = { minBackoffMs: 1_000, maxBackoffMs: 5_000 };
    expect(backoffDelayMs(policy, 4)).toBe(5_000);
    expect(backoffDelayMs(policy, 10_000)).toBe(5_000);
  });

  it('stays at zero for a zero minimum instead of becoming NaN', () => {
    expect(backoffDelayMs({ minBackoffMs: 0, maxBackoffMs: 600_000 }, 5_000)).toBe(0);
  });
});

describe('Pub/Sub naming and policy rules', () => {
  const spec = { name: 'prow-jobs-scheduler', topic: 'prow-jobs', ...DEFAULT_SUBSCRIPTION_POLICY };

  it('accepts the default policy and its dead-letter topic name', () => {
    expect(() => checkSubscriptionSpec(spec)).not.toThrow();
    expect(deadLetterTopicOf(spec.name)).toBe('prow-jobs-scheduler-dead-letter');
  });

  it.each(['ab', '1topic', 'google-things', 'has space', 'x'.repeat(256)])('refuses the name %j', (name) => {
    expect(() => checkResourceName('topic', name)).toThrow(/invalid topic name/);
  });

  it('lists every policy value outside what Pub/Sub allows', () => {
    expect(() =>
      checkSubscriptionSpec({ ...spec, maxDeliveryAttempts: 101, minBackoffMs: 700_000, ackDeadlineSeconds: 5 }),
    ).toThrow(/maxDeliveryAttempts.*minBackoffMs.*exceeds maxBackoffMs.*ackDeadlineSeconds/);
  });

  it('refuses a subscription name too long to carry its dead-letter suffix', () => {
    expect(() => checkSubscriptionSpec({ ...spec, name: `s${'x'.repeat(250)}` })).toThrow(/invalid subscription name "sx+-dead-letter"/);
  });
});
