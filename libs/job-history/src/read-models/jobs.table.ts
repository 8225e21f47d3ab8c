import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { JobSource, JobStatus } from '@steward/contracts';

/** One row per job: the Job History table (schema `rm_jobs`). */
export interface JobsTable {
  workspace_id: string;
  job_id: string;
  organization_id: string | null;
  agent: string;
  status: JobStatus;
  started_at: ColumnType<Date, Date | string, Date | string>;
  ended_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  duration_ms: ColumnType<number | null, number | null, number | null>;
  summary: string | null;
  input: string | null;
  metadata: ColumnType<Record<string, string> | null, string | null, string | null>;
  source: JobSource;
  step_count: ColumnType<number, number, number>;
}

export type JobRow = Selectable<JobsTable>;
export type NewJobRow = Insertable<JobsTable>;
