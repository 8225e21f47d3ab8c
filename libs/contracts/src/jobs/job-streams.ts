/**
 * The jobs context's event streams: one per job, `jobs-<workspaceId>-<jobId>`.
 * The workspace is part of the name, so the same job id in two workspaces is
 * two jobs; the relay derives the bounded context (`jobs`) from the category.
 */
export const JobStreams = {
  job: (workspaceId: string, jobId: string): string => `jobs-${workspaceId}-${jobId}`,
} as const;

/** Every job stream starts with this: a filter for projections. */
export const JOB_STREAM_PREFIX = 'jobs-';
