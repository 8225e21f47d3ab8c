import { z } from 'zod';
import { EventRegistry, defineEvent, type DefinedEvent } from '../registry';
import { MAX_JSON_NODES, freeText, jsonValue, storedText, text } from '../fields';
import { TeamIdSchema } from '../team/team-fields';
import {
  JobFinishStatusSchema,
  JobIsoTimeSchema,
  JobMetadataSchema,
  JobStepTypeSchema,
  MAX_STEP_TEXT_INPUT,
  ToolStatusSchema,
  TruncationSchema,
} from './job-fields';

/*
 * The jobs context's events, version 1, all in the job's stream
 * `jobs-<workspaceId>-<jobId>` (see JobStreams):
 *   JobStarted → JobStepRecorded* → JobFinished
 * Texts over MAX_STEP_CONTENT_BYTES are stored cut, ending in TRUNCATION_MARKER,
 * with the field and its original size in `truncated`.
 */

/** Where a job was reported from. */
export const JobSourceSchema = z.enum(['api', 'nats', 'otlp']);
export type JobSource = z.infer<typeof JobSourceSchema>;

/**
 * Ids and names as published: job ids of the pattern they had (which took `..`), step ids and agents any
 * storable text (see storedText). Commands hold new ones to the vocabulary's client-id and name rules.
 */
const JobIdSchema = text({ min: 1, max: 200 }).regex(/^[A-Za-z0-9_.:-]+$/, 'job ids use letters, digits, "_", "-", "." and ":"');
const StepIdSchema = storedText(200);
/** A tool's parameters or result as published: the edge takes 32 levels (JsonValueSchema), older steps may hold more. */
const JsonValueSchema = jsonValue({ maxDepth: 1000, maxNodes: MAX_JSON_NODES * 10 });
const JobAgentSchema = storedText(200);

const scoped = { workspaceId: TeamIdSchema, jobId: JobIdSchema };

export const JobStarted = defineEvent({
  type: 'JobStarted',
  version: 1,
  context: 'jobs',
  schema: z
    .object({
      ...scoped,
      organizationId: TeamIdSchema.optional(),
      agent: JobAgentSchema,
      startedAt: JobIsoTimeSchema,
      input: freeText(MAX_STEP_TEXT_INPUT).optional(),
      metadata: JobMetadataSchema.optional(),
      source: JobSourceSchema,
      truncated: z.array(TruncationSchema).optional(),
    })
    .strict(),
});

export const JobStepRecorded = defineEvent({
  type: 'JobStepRecorded',
  version: 1,
  context: 'jobs',
  schema: z
    .object({
      ...scoped,
      /** The caller's id of the step: the same id again is the same step, recorded once. */
      stepId: StepIdSchema,
      /** 1, 2, 3 … in the order the job recorded its steps. */
      sequence: z.number().int().positive(),
      type: JobStepTypeSchema,
      content: freeText(MAX_STEP_TEXT_INPUT).optional(),
      toolName: text({ min: 1, max: 200 }).optional(),
      toolStatus: ToolStatusSchema.optional(),
      parameters: JsonValueSchema.optional(),
      result: JsonValueSchema.optional(),
      durationMs: z.number().int().min(0).optional(),
      at: JobIsoTimeSchema,
      truncated: z.array(TruncationSchema).optional(),
    })
    .strict(),
});

export const JobFinished = defineEvent({
  type: 'JobFinished',
  version: 1,
  context: 'jobs',
  schema: z
    .object({
      ...scoped,
      status: JobFinishStatusSchema,
      summary: freeText(10_000).optional(),
      endedAt: JobIsoTimeSchema,
      /** endedAt − startedAt. */
      durationMs: z.number().int().min(0),
    })
    .strict(),
});

export const JOB_EVENTS = [JobStarted, JobStepRecorded, JobFinished] as const;

/** One job event as deciders see it: `type` plus validated `data`. */
export type JobEvent = DefinedEvent<(typeof JOB_EVENTS)[number]>;
export type JobEventType = JobEvent['type'];
export type JobEventOf<T extends JobEventType> = Extract<JobEvent, { type: T }>;
export type JobStartedData = JobEventOf<'JobStarted'>['data'];
export type JobStepRecordedData = JobEventOf<'JobStepRecorded'>['data'];
export type JobFinishedData = JobEventOf<'JobFinished'>['data'];

export const jobEventRegistry = new EventRegistry().register(...JOB_EVENTS);
