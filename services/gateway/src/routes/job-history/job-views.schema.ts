import { z } from 'zod';
import { JOB_STATUSES, JOB_STEP_TYPES, TOOL_STATUSES } from '@steward/contracts';

export const JobSummarySchema = z.object({
  jobId: z.string(),
  agent: z.string(),
  status: z.enum(JOB_STATUSES),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  stepCount: z.number().int(),
});

export const JobPageSchema = z.object({
  items: z.array(JobSummarySchema),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  pageCount: z.number().int(),
  /** Send it as `cursor` for the page after this one (fast at any depth); null on the last page. */
  nextCursor: z.string().nullable(),
});

export const JobStepViewSchema = z.object({
  sequence: z.number().int(),
  stepId: z.string(),
  type: z.enum(JOB_STEP_TYPES),
  content: z.string().nullable(),
  toolName: z.string().nullable(),
  toolStatus: z.enum(TOOL_STATUSES).nullable(),
  parameters: z.unknown(),
  result: z.unknown(),
  durationMs: z.number().int().nullable(),
  at: z.string(),
  truncated: z.array(z.object({ field: z.string(), originalBytes: z.number().int() })).nullable(),
});

export const JobDetailSchema = JobSummarySchema.extend({
  summary: z.string().nullable(),
  input: z.string().nullable(),
  metadata: z.record(z.string(), z.string()).nullable(),
  source: z.string(),
  steps: z.array(JobStepViewSchema),
  /** "No detailed steps recorded for this job." when there are none, else null. */
  message: z.string().nullable(),
});

export const JobAcceptedSchema = z.object({
  jobId: z.string(),
  status: z.enum(JOB_STATUSES),
  /** False when the job, its steps or its end were already recorded (a resent request). */
  changed: z.boolean(),
});

export const StepsAcceptedSchema = z.object({
  jobId: z.string(),
  /** Steps appended now. */
  recorded: z.number().int(),
  /** Steps whose id the job already had: recorded once, earlier. */
  skipped: z.number().int(),
});
