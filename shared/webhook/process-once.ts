import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/logger';
import type { DeliveryStore } from '../store/store';

/**
 * Runs the work for one webhook delivery at most once however many copies of its message arrive.
 * Copies are normal: Pub/Sub delivers at least once, redelivers a message whose handler outlives
 * the ack deadline, and the webhook publishes a delivery again when it crashed between publishing
 * and recording it (shared/webhook/receive.ts).
 *
 * Each attempt claims the delivery's processing as a lease, renewed while the work runs:
 * - claimed → run the work, then mark the delivery done;
 * - done → nothing to do: the message is acknowledged;
 * - held by another attempt → wait for that lease, at most `maxWaitMs`; if it is then done,
 *   acknowledge; if it lapsed (its attempt crashed), take over; if it is still held (alive and
 *   busy), throw DeliveryBusyError so the bus redelivers later rather than acknowledging a
 *   delivery that might yet fail.
 * An attempt whose work throws gives its claim back, so the bus's retry runs at once; a crashed
 * one cannot, and its lease lapses instead: the work is then told it is a takeover, since the
 * crashed attempt may have done some of it.
 *
 * On the ordered `events` subscription a DeliveryBusyError also holds the PR's later deliveries
 * back until this one clears, which is right: they must not overtake it. It cannot deadlock, since
 * the attempt a copy waits for is an earlier delivery of the same message (one that outlived its
 * ack deadline) or of a copy published before it, never a later message of the key; and that
 * attempt ends by itself (done, or its lease lapses).
 */
export interface ProcessOnceOptions {
  /** How long a claim lasts unless renewed; renewed every third of it while the work runs. */
  leaseMs?: number;
  /** How long a copy waits for another attempt's claim; keep it under the bus's ack deadline. */
  maxWaitMs?: number;
}

/** Well under Pub/Sub's 60 s ack deadline, so a copy can outwait a crashed attempt's lease. */
export const DEFAULT_PROCESSING_LEASE_MS = 30_000;

export type ProcessOnceResult<T> = { ran: true; result: T } | { ran: false };

/** Another live attempt is processing the delivery: the bus should redeliver this copy later. */
export class DeliveryBusyError extends Error {
  constructor(deliveryId: string, holder: string, expiresAt: number) {
    super(`delivery ${deliveryId} is being processed by ${holder} (claim until ${new Date(expiresAt).toISOString()}); retry later`);
    this.name = 'DeliveryBusyError';
  }
}

export async function processOnce<T>(
  deliveries: DeliveryStore,
  deliveryId: string,
  log: Logger,
  work: (attempt: { takeover: boolean }) => Promise<T>,
  options: ProcessOnceOptions = {},
): Promise<ProcessOnceResult<T>> {
  const leaseMs = options.leaseMs ?? DEFAULT_PROCESSING_LEASE_MS;
  const maxWaitMs = options.maxWaitMs ?? leaseMs;
  const holder = randomUUID();
  let claim = await deliveries.claimProcessing(deliveryId, holder, leaseMs);
  // Polled rather than slept through, so a copy is acknowledged as soon as the holder is done; the
  // wait ends a little past the lease's end, so that a lapsed lease is seen as lapsed.
  const waitUntil = Date.now() + maxWaitMs;
  const pollMs = Math.min(1_000, Math.max(100, leaseMs / 10));
  while (claim.outcome === 'held' && Date.now() < Math.min(waitUntil, claim.lease.expiresAt + 50)) {
    await sleep(pollMs);
    claim = await deliveries.claimProcessing(deliveryId, holder, leaseMs);
  }
  if (claim.outcome === 'held') throw new DeliveryBusyError(deliveryId, claim.lease.holder, claim.lease.expiresAt);
  if (claim.outcome === 'done') {
    log.info('delivery already processed; this copy is acknowledged without running the plugins', { deliveryId });
    return { ran: false };
  }
  if (claim.takeover) log.warn('an earlier attempt at this delivery stopped unfinished; running it again', { deliveryId });

  const heartbeat = setInterval(() => {
    deliveries.renewProcessing(deliveryId, holder, leaseMs).then(
      (renewed) => {
        if (!renewed) log.warn('lost the processing claim on this delivery; another copy may run it too', { deliveryId });
      },
      (error: unknown) => log.warn('could not renew the processing claim on this delivery', { deliveryId, error }),
    );
  }, leaseMs / 3);
  heartbeat.unref();
  let result: T;
  try {
    result = await work({ takeover: claim.takeover });
  } catch (error) {
    clearInterval(heartbeat);
    await deliveries.releaseProcessing(deliveryId, holder).catch(() => undefined);
    throw error;
  }
  clearInterval(heartbeat);
  await deliveries.finishProcessing(deliveryId);
  return { ran: true, result };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
