import { z } from 'zod';
import { InstantSchema, clientId, nameText, text } from '../fields';

/** Job and step ids are chosen by the caller (or derived by the gateway), so a resent command targets the same job. */
export const JobIdSchema = clientId();

export const StepIdSchema = clientId();

export const JobAgentSchema = nameText(200);

/** A finished job's outcome. */
export const JOB_FINISH_STATUSES = ['success', 'failed', 'cancelled', 'timed_out'] as const;
export const JobFinishStatusSchema = z.enum(JOB_FINISH_STATUSES);
export type JobFinishStatus = z.infer<typeof JobFinishStatusSchema>;

/** A job's status on the screens: running until it is finished. */
export const JOB_STATUSES = ['running', ...JOB_FINISH_STATUSES] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;

/** The Interaction History's step types (admin guide, Part 1). */
export const JOB_STEP_TYPES = ['user_message', 'assistant_response', 'tool_call', 'tool_result', 'system'] as const;
export const JobStepTypeSchema = z.enum(JOB_STEP_TYPES);
export type JobStepType = z.infer<typeof JobStepTypeSchema>;

export const TOOL_STATUSES = ['pending', 'success', 'error'] as const;
export const ToolStatusSchema = z.enum(TOOL_STATUSES);
export type ToolStatus = z.infer<typeof ToolStatusSchema>;

/** A step's content (and a tool's parameters or result, as JSON text) is kept up to this many UTF-8 bytes. */
export const MAX_STEP_CONTENT_BYTES = 256 * 1024;
/** What ends a truncated text: the reader sees the text was cut. */
export const TRUNCATION_MARKER = '…[truncated]';
/** The most steps one RecordJobSteps command (one HTTP batch) carries. */
export const MAX_STEPS_PER_BATCH = 200;
/** What a command may carry per text field before truncation (the HTTP body limit bounds it anyway). */
export const MAX_STEP_TEXT_INPUT = 1024 * 1024;

export const JobMetadataSchema = z.record(text({ min: 1, max: 100, singleLine: true }), text({ max: 1000 }));


/** Which text of a step was cut, and how long it was. */
export const TruncationSchema = z
  .object({ field: z.enum(['content', 'parameters', 'result', 'input']), originalBytes: z.number().int().positive() })
  .strict();
export type Truncation = z.infer<typeof TruncationSchema>;

export const JobIsoTimeSchema = InstantSchema;
