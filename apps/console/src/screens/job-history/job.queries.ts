/** Job History's reads: a page of a workspace's jobs and one job with its interaction history. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema.generated';

export type JobPage = paths['/v1/workspaces/{wsId}/jobs']['get']['responses'][200]['content']['application/json'];
export type JobSummary = JobPage['items'][number];
export type JobDetail = paths['/v1/workspaces/{wsId}/jobs/{jobId}']['get']['responses'][200]['content']['application/json'];
export type JobStep = JobDetail['steps'][number];
export type JobStatus = JobSummary['status'];

export const JOB_STATUSES: readonly JobStatus[] = ['running', 'success', 'failed', 'cancelled', 'timed_out'];
export const JOB_PAGE_SIZE = 20;

export interface JobFilters {
  readonly status: JobStatus | undefined;
  readonly agent: string | undefined;
  readonly page: number;
}

export function useJobs(workspaceId: string, filters: JobFilters) {
  const query = {
    page: filters.page,
    pageSize: JOB_PAGE_SIZE,
    ...(filters.status !== undefined ? { status: filters.status } : {}),
    ...(filters.agent !== undefined ? { agent: filters.agent } : {}),
  };
  return useQuery({
    queryKey: ['workspaces', workspaceId, 'jobs', query],
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/v1/workspaces/{wsId}/jobs', { params: { path: { wsId: workspaceId }, query } })),
  });
}

/** Every job of the filters, page after page (the CSV export). */
export async function allJobs(workspaceId: string, filters: Omit<JobFilters, 'page'>): Promise<JobSummary[]> {
  const all: JobSummary[] = [];
  for (let page = 1; ; page++) {
    const query = { page, pageSize: 100, ...(filters.status !== undefined ? { status: filters.status } : {}), ...(filters.agent !== undefined ? { agent: filters.agent } : {}) };
    const answer = await unwrap(api.GET('/v1/workspaces/{wsId}/jobs', { params: { path: { wsId: workspaceId }, query } }));
    all.push(...answer.items);
    if (page >= answer.pageCount) return all;
  }
}

export function useJob(workspaceId: string, jobId: string | undefined) {
  return useQuery({
    queryKey: ['workspaces', workspaceId, 'jobs', 'detail', jobId],
    enabled: jobId !== undefined,
    queryFn: () => unwrap(api.GET('/v1/workspaces/{wsId}/jobs/{jobId}', { params: { path: { wsId: workspaceId, jobId: jobId! } } })),
  });
}
