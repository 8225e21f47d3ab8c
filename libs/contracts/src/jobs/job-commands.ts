import { z } from 'zod';
import type { CommandWrite } from '../command';
import { DurationMsSchema, JsonValueSchema, freeText, nameText } from '../fields';
import { TeamIdSchema } from '../team/team-fields';
import {
  JobAgentSchema,
  JobFinishStatusSchema,
  JobIdSchema,
  JobIsoTimeSchema,
  JobMetadataSchema,
  JobStepTypeSchema,
  MAX_STEPS_PER_BATCH,
  MAX_STEP_TEXT_INPUT,
  StepIdSchema,
  ToolStatusSchema,
} from './job-fields';
import { JobSourceSchema } from './job-events';

/*
 * The payloads of the jobs context's commands (the `payload` of a
 * CommandEnvelope on `<prefix>cmd.jobs.<Type>`). Time defaults to the
 * envelope's `issuedAt`; the actor is the envelope's. Unknown fields are refused.
 */

export const StartJobPayload = z
  .object({
    workspaceId: TeamIdSchema,
    jobId: JobIdSchema,
    agent: JobAgentSchema,
    /** Default: the command's issuedAt. */
    startedAt: JobIsoTimeSchema.optional(),
    input: freeText(MAX_STEP_TEXT_INPUT).optional(),
    metadata: JobMetadataSchema.optional(),
    source: JobSourceSchema.default('nats'),
    /** True: a job that exists already is left as it is (OTLP re-sends); false: JOB_ALREADY_EXISTS unless identical. */
    ensure: z.boolean().default(false),
  })
  .strict();

/** One step as a caller reports it. */
export const JobStepInputSchema = z
  .object({
    /** The idempotency key of the step within its job. */
    stepId: StepIdSchema,
    type: JobStepTypeSchema,
    content: freeText(MAX_STEP_TEXT_INPUT).optional(),
    toolName: nameText(200).optional(),
    toolStatus: ToolStatusSchema.optional(),
    parameters: JsonValueSchema.optional(),
    result: JsonValueSchema.optional(),
    durationMs: DurationMsSchema.optional(),
    /** When it happened. Default: the command's issuedAt. */
    at: JobIsoTimeSchema.optional(),
  })
  .strict();
export type JobStepInput = z.output<typeof JobStepInputSchema>;

export const RecordJobStepsPayload = z
  .object({
    workspaceId: TeamIdSchema,
    jobId: JobIdSchema,
    steps: z.array(JobStepInputSchema).min(1).max(MAX_STEPS_PER_BATCH),
    /**
     * Start the job first when it does not exist (OTLP: the spans of a job's
     * steps may arrive before the span of the job itself). Without it, steps
     * of an unknown job are JOB_NOT_FOUND.
     */
    startIfMissing: z.object({ agent: JobAgentSchema, startedAt: JobIsoTimeSchema, source: JobSourceSchema }).strict().optional(),
  })
  .strict();

export const FinishJobPayload = z
  .object({
    workspaceId: TeamIdSchema,
    jobId: JobIdSchema,
    status: JobFinishStatusSchema,
    summary: freeText(10_000).optional(),
    /** Default: the command's issuedAt. */
    endedAt: JobIsoTimeSchema.optional(),
  })
  .strict();

export const JobCommandPayloads = {
  StartJob: StartJobPayload,
  RecordJobSteps: RecordJobStepsPayload,
  FinishJob: FinishJobPayload,
} as const;

export type JobCommandType = keyof typeof JobCommandPayloads;
export const JOB_COMMAND_TYPES = Object.keys(JobCommandPayloads) as JobCommandType[];
export type JobCommandPayload<T extends JobCommandType> = z.output<(typeof JobCommandPayloads)[T]>;
export type JobCommandInput<T extends JobCommandType> = z.input<(typeof JobCommandPayloads)[T]>;

/** What a job handler answers when it accepts a command; a command resent with the same id answers `replayed: true`. */
export interface JobCommandAnswer extends CommandWrite {
  readonly ok: true;
  readonly commandId: string;
  readonly jobId: string;
  /** False when nothing was appended (a re-sent step, an identical start or finish). */
  readonly changed: boolean;
  readonly replayed: boolean;
  /** Steps appended by this command (RecordJobSteps), and those skipped as already recorded. */
  readonly stepsRecorded: number;
  readonly stepsSkipped: number;
}
