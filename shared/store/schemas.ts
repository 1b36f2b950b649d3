import { z } from 'zod';
import { ProwJobSchema, ProwJobStateSchema } from '../prowjob/schema';
import type { DeliveryRecord, Lease, PeriodicRun, ReportedState, StoredJob } from './store';

/** zod schemas for what a store reads back from disk or Firestore: stored data is input too. */

export const LeaseSchema = z.object({
  jobName: z.string(),
  holder: z.string(),
  token: z.number().int().positive(),
  expiresAt: z.number(),
}) satisfies z.ZodType<Lease>;

export const StoredJobSchema = z.object({
  job: ProwJobSchema,
  revision: z.number().int().positive(),
  createdAt: z.number(),
  updatedAt: z.number(),
  lease: LeaseSchema.optional(),
  reportDue: z.boolean().optional(),
}) satisfies z.ZodType<StoredJob>;

export const PeriodicRunSchema = z.object({
  job: z.string(),
  lastRunAt: z.number(),
  lastJobName: z.string().optional(),
}) satisfies z.ZodType<PeriodicRun>;

export const ReportedStateSchema = z.object({
  state: ProwJobStateSchema,
  fingerprint: z.string().optional(),
  reportedAt: z.number(),
}) satisfies z.ZodType<ReportedState>;

export const DeliveryRecordSchema = z.object({
  accepted: z.boolean(),
  processing: z.object({ holder: z.string(), expiresAt: z.number() }).optional(),
  done: z.boolean(),
  expireAt: z.number(),
}) satisfies z.ZodType<DeliveryRecord>;
