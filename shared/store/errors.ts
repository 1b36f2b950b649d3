import type { ProwJobState } from '../prowjob/schema';

/** Errors every store implementation throws for the same conditions, so callers can tell them apart. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class JobNotFoundError extends StoreError {
  constructor(readonly jobName: string) {
    super(`ProwJob ${jobName} does not exist`);
  }
}

/** A different job (not a retry: another idempotency key) already has this name. */
export class JobExistsError extends StoreError {
  constructor(readonly jobName: string) {
    super(`a ProwJob named ${jobName} already exists`);
  }
}

/** Someone else wrote the job after the writer read it. Re-read and decide again. */
export class ConflictError extends StoreError {
  constructor(
    readonly jobName: string,
    readonly expectedRevision: number,
    readonly actualRevision: number,
  ) {
    super(`ProwJob ${jobName} changed (revision ${actualRevision}, expected ${expectedRevision})`);
  }
}

/** The write carried a lease that is no longer current: the writer must stop working on the job. */
export class StaleLeaseError extends StoreError {
  constructor(
    readonly jobName: string,
    reason: string,
  ) {
    super(`lease on ProwJob ${jobName} is no longer held: ${reason}`);
  }
}

export class InvalidTransitionError extends StoreError {
  constructor(
    readonly jobName: string,
    readonly from: ProwJobState,
    readonly to: ProwJobState,
  ) {
    super(`ProwJob ${jobName} cannot go from ${from} to ${to}`);
  }
}

export class InvalidQueryError extends StoreError {}

/**
 * A writer lease on an installation's outbox that is no longer current: another writer has taken
 * over (or may at any moment), so this one must stop sending. A StaleLeaseError, so callers that
 * stop on a stale lease need not tell job leases from writer leases.
 */
export class StaleWriterLeaseError extends StaleLeaseError {
  constructor(
    readonly installation: string,
    reason: string,
  ) {
    super(installation, reason);
    this.message = `writer lease on the outbox of installation ${installation} is no longer held: ${reason}`;
  }
}

/** A write handed to the outbox that GitHub's API could not take as it is. */
export class InvalidOutboxWriteError extends StoreError {}
