/**
 * Tells the writer of an installation that writes are waiting: an in-process wake-up in local mode,
 * a Pub/Sub message to the writer function in the cloud. Fire and forget: a lost nudge only delays
 * the writes until the next sweep.
 */
export type WriterNudge = (installation: string) => void;
