import type { JobCountsTable, JobDayCountsTable } from './job-counts.table';
import type { JobStepsTable } from './job-steps.table';
import type { JobsTable } from './jobs.table';

/** The `jobs` read model (schema `rm_jobs`). */
export interface JobDB {
  jobs: JobsTable;
  job_steps: JobStepsTable;
  job_counts: JobCountsTable;
  job_day_counts: JobDayCountsTable;
}
