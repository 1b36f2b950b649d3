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
