import { z } from 'zod';
import { ProwJobSchema, ProwJobStateSchema } from '../prowjob/schema';
import { OutboxWriteRequestSchema, type OutboxEntry } from './outbox';
import type { OutboxInstallationRecord } from './outbox-rules';
import type { DeliveryRecord, Lease, PeriodicRun, ReportedState, StoredJob } from './store';

/** zod schemas for what a store reads back from disk or Firestore: stored data is input too. */

export const LeaseSchema = z.object({
  jobName: z.string(),
  holder: z.string(),
  token: z.number().int().positive(),
  expiresAt: z.number(),
}) satisfies z.ZodType<Lease>;

export const ReportedStateSchema = z.object({
  state: ProwJobStateSchema,
  fingerprint: z.string().optional(),
  reportedAt: z.number(),
}) satisfies z.ZodType<ReportedState>;

export const StoredJobSchema = z.object({
  job: ProwJobSchema,
  revision: z.number().int().positive(),
  createdAt: z.number(),
  updatedAt: z.number(),
  lease: LeaseSchema.optional(),
  reportDue: z.boolean().optional(),
  reported: z.record(z.string(), ReportedStateSchema).optional(),
}) satisfies z.ZodType<StoredJob>;

export const PeriodicRunSchema = z.object({
  job: z.string(),
  lastRunAt: z.number(),
  lastJobName: z.string().optional(),
}) satisfies z.ZodType<PeriodicRun>;

export const DeliveryRecordSchema = z.object({
  accepted: z.boolean(),
  processing: z.object({ holder: z.string(), expiresAt: z.number() }).optional(),
  done: z.boolean(),
  expireAt: z.number(),
}) satisfies z.ZodType<DeliveryRecord>;

export const OutboxEntrySchema = OutboxWriteRequestSchema.extend({
  subject: z.string(),
  resource: z.string(),
  priority: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  seq: z.number().int().positive(),
  state: z.enum(['pending', 'sending', 'sent', 'failed', 'cancelled']),
  enqueuedAt: z.number(),
  notBefore: z.number().optional(),
  attempts: z.number().int().nonnegative(),
  writerToken: z.number().int().positive().optional(),
  placeholderId: z.number().int().negative().optional(),
  commentId: z.number().int().optional(),
  settledAt: z.number().optional(),
  error: z.string().optional(),
  cancelledBy: z.string().optional(),
}) satisfies z.ZodType<OutboxEntry>;

export const OutboxInstallationRecordSchema = z.object({
  installation: z.string(),
  sentAt: z.array(z.number()),
  /** Absent in records written before writers reserved requests at `take`. */
  reservedRequests: z.number().int().nonnegative().default(0),
  writer: z.object({ holder: z.string(), token: z.number().int().positive(), expiresAt: z.number() }).optional(),
  blockedUntil: z.number().optional(),
  blockedReason: z.string().optional(),
}) satisfies z.ZodType<OutboxInstallationRecord>;
