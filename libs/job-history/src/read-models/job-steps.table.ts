import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { JobStepType, ToolStatus, Truncation } from '@steward/contracts';

/** One row per recorded step, in the job's order (schema `rm_jobs`). */
export interface JobStepsTable {
  workspace_id: string;
  job_id: string;
  sequence: number;
  step_id: string;
  type: JobStepType;
  content: string | null;
  tool_name: string | null;
  tool_status: ToolStatus | null;
  /** JSON text in, JSON value out. */
  parameters: ColumnType<unknown, string | null, string | null>;
  result: ColumnType<unknown, string | null, string | null>;
  duration_ms: number | null;
  at: ColumnType<Date, Date | string, Date | string>;
  truncated: ColumnType<Truncation[] | null, string | null, string | null>;
}

export type JobStepRow = Selectable<JobStepsTable>;
export type NewJobStepRow = Insertable<JobStepsTable>;
