/** The Ops screen's server state: the operators' view, the recent failures (paged) and the job actions. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '../../api/client';
import { opsApi } from '../../api/ops.api';
import type { BodyOf } from '../../api/generated-types';

export const opsKeys = {
  all: ['ops'] as const,
  view: ['ops', 'queues'] as const,
  events: (page: number) => ['ops', 'events', page] as const,
};

const PAGE_SIZE = 10;

/** Refreshed every 10 s while the screen is open: queue counts and lag move on their own. */
export function useOpsView() {
  return useQuery({ queryKey: opsKeys.view, queryFn: () => unwrap(opsApi.GET('/v1/ops/queues')), refetchInterval: 10_000 });
}

export function useOpsEvents(page: number) {
  return useQuery({
    queryKey: opsKeys.events(page),
    queryFn: () => unwrap(opsApi.GET('/v1/ops/events', { params: { query: { page, pageSize: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
}

export type JobAction = 'retry' | 'remove';
/** A queue the ops routes act on; the names come from GET /v1/ops/queues (the gateway refuses any other). */
type OpsQueueName = BodyOf<'retryOpsJob'>['queue'];

export function useJobAction() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ action, queue, jobId }: { action: JobAction; queue: string; jobId: string }) =>
      action === 'retry'
        ? unwrap(opsApi.POST('/v1/ops/jobs/retry', { body: { queue: queue as OpsQueueName, jobId } }))
        : unwrap(opsApi.POST('/v1/ops/jobs/remove', { body: { queue: queue as OpsQueueName, jobId } })),
    onSettled: () => queries.invalidateQueries({ queryKey: opsKeys.all }),
  });
}
