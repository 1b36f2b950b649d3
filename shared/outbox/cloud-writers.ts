import { z } from 'zod';
import { PermanentMessageError, TOPICS, type MessageBus, type ReceivedMessage } from '../bus/bus';
import type { Logger } from '../log/logger';
import type { WriterNudge } from './nudge';
import type { DrainReport, OutboxWriter } from './writer';

/**
 * Waking writers in the cloud: a nudge is a message on the `github-writes` topic naming the
 * installation (attribute `installation`); each one starts the github-writer function, which
 * drains that installation if no other instance holds its writer lease. Cloud Scheduler's
 * minute tick publishes one for every installation with writes come due (shared/scheduler/tick.ts).
 */
export const WRITER_NUDGE_ATTRIBUTE = 'installation';

/**
 * Publishes a nudge, at most one at a time per installation: a nudge still being published is
 * delivered after the caller's writes are stored, so the drain it starts sees them too.
 */
export function publishingNudge(bus: Pick<MessageBus, 'publish'>, log: Logger): WriterNudge {
  const publishing = new Set<string>();
  return (installation) => {
    if (publishing.has(installation)) return;
    publishing.add(installation);
    bus
      .publish(TOPICS.githubWrites, { data: installation, attributes: { [WRITER_NUDGE_ATTRIBUTE]: installation } })
      .catch((error: unknown) =>
        // The scheduler's tick wakes a writer for these writes within a minute.
        log.warn('could not nudge the GitHub writer; the next scheduler tick will', { installation, error: (error as Error).message }),
      )
      .finally(() => publishing.delete(installation));
  };
}

const NudgeAttributes = z.object({ [WRITER_NUDGE_ATTRIBUTE]: z.string().regex(/^(token|[1-9]\d*)$/) });

/** The installation a nudge names; a PermanentMessageError (dead letter) for anything else. */
export function installationOfNudge(message: ReceivedMessage): string {
  const parsed = NudgeAttributes.safeParse(message.attributes);
  if (!parsed.success) {
    throw new PermanentMessageError(
      `a github-writes message must name the installation in its "${WRITER_NUDGE_ATTRIBUTE}" attribute ("token" or an App installation ID); got ${JSON.stringify(message.attributes)}`,
    );
  }
  return parsed.data[WRITER_NUDGE_ATTRIBUTE];
}

/**
 * Drains the installation a nudge names until `deadline`. Returns normally whatever the drain
 * found (busy, blocked, drained): a nudge needs no retry, since the tick wakes writers for what
 * is left. A failure (the store unreachable) throws, so Pub/Sub delivers the nudge again.
 */
export async function handleWriterNudge(writer: OutboxWriter, message: ReceivedMessage, deadline: number): Promise<DrainReport> {
  return writer.drain(installationOfNudge(message), { deadline });
}
