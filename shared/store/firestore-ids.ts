import { createHash } from 'node:crypto';

/**
 * How the Firestore store turns keys into document IDs. Firestore IDs cannot contain "/" or be
 * "." / ".." / "__x__"; keys that are safe as they are stay readable in the console, others are hashed.
 */
export function documentIdFor(key: string): string {
  if (/^[A-Za-z0-9._@:-]{1,500}$/.test(key) && !/^\.\.?$/.test(key) && !/^__.*__$/.test(key)) return key;
  return `sha256-${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * An outbox entry's document: its key is unique only within its installation, and keys contain
 * "/" and ":" freely, so the pair is hashed (the entry's fields carry both for readers).
 */
export function outboxEntryDocumentId(installation: string, id: string): string {
  return createHash('sha256').update(JSON.stringify([installation, id])).digest('hex');
}

/** An outbox resource's document ("owner/repo#12 label:lgtm" within an installation), likewise. */
export function outboxResourceDocumentId(installation: string, resource: string): string {
  return outboxEntryDocumentId(installation, resource);
}
