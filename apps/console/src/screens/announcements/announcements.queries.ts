/** The Announcements screen's server state: the caller's announcements and, for platform administrators, all of them. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type AnnouncementDraft, announcementsApi } from '../../api/announcements.api';
import { ApiProblem, idempotencyKey, unwrap } from '../../api/client';

export const announcementKeys = {
  all: ['announcements'] as const,
  mine: (unread: boolean) => ['announcements', 'mine', unread] as const,
  managed: ['announcements', 'managed'] as const,
};

export function useMyAnnouncements(unread: boolean) {
  return useQuery({
    queryKey: announcementKeys.mine(unread),
    queryFn: () => unwrap(announcementsApi.GET('/v1/announcements', { params: { query: { pageSize: 100, ...(unread ? { unread: 'true' as const } : {}) } } })),
  });
}

/** Every announcement, or `undefined` data for someone who is no platform administrator (a 403: nothing to manage). */
export function useManagedAnnouncements() {
  return useQuery({
    queryKey: announcementKeys.managed,
    queryFn: async () => {
      try {
        return await unwrap(announcementsApi.GET('/v1/announcements', { params: { query: { view: 'all', pageSize: 100 } } }));
      } catch (error) {
        if (error instanceof ApiProblem && error.status === 403) return null;
        throw error;
      }
    },
  });
}

/** Every write refreshes every announcement list and the dashboard (its unread ones). */
function useRefresh() {
  const queries = useQueryClient();
  return () => Promise.all([queries.invalidateQueries({ queryKey: announcementKeys.all }), queries.invalidateQueries({ queryKey: ['organizations'] })]);
}

export function useCreateAnnouncement() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (draft: AnnouncementDraft) => unwrap(announcementsApi.POST('/v1/announcements', { params: { header: { 'Idempotency-Key': idempotencyKey() } }, body: draft })),
    onSuccess: refresh,
  });
}

export function useReviseAnnouncement() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: ({ id, title, body }: { id: string; title: string; body: string }) =>
      unwrap(announcementsApi.PATCH('/v1/announcements/{id}', { params: { path: { id }, header: { 'Idempotency-Key': idempotencyKey() } }, body: { title, body } })),
    onSuccess: refresh,
  });
}

export function useAnnouncementAction(action: 'publish' | 'unpublish' | 'read') {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (id: string) => {
      const options = { params: { path: { id }, header: { 'Idempotency-Key': idempotencyKey() } }, body: {} };
      if (action === 'publish') return unwrap(announcementsApi.POST('/v1/announcements/{id}/publish', options));
      if (action === 'unpublish') return unwrap(announcementsApi.POST('/v1/announcements/{id}/unpublish', options));
      return unwrap(announcementsApi.POST('/v1/announcements/{id}/read', options));
    },
    onSuccess: refresh,
  });
}
