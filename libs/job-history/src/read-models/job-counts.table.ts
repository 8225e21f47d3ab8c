import type { ColumnType, Selectable } from 'kysely';
import type { JobStatus } from '@steward/contracts';

/**
 * How many jobs a workspace has per agent and status, kept by the projection
 * in the transaction that writes the jobs: the list's total without counting
 * rows (schema `rm_jobs`).
 */
export interface JobCountsTable {
  workspace_id: string;
  agent: string;
  status: JobStatus;
  /** bigint: read as text. */
  jobs: ColumnType<string, number, number>;
}

/** The same counts per UTC day the jobs started on: totals over a time range (schema `rm_jobs`). */
export interface JobDayCountsTable {
  workspace_id: string;
  /** YYYY-MM-DD (UTC). */
  day: ColumnType<string, string, string>;
  agent: string;
  status: JobStatus;
  jobs: ColumnType<string, number, number>;
}

export type JobCountRow = Selectable<JobCountsTable>;
