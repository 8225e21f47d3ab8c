/**
 * Notification channels' reads and writes (organization-wide): channels, create / change / delete, rotate the
 * signing secret, send a test; the delivery log per channel and the dead letters, and resend.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, idempotencyKey, unwrap } from '../../api/client';
import type { NotificationChannelChange, NotificationChannelCreation, NotificationStatus } from '../../api/named-types';

export type { NotificationChannel, NotificationChannelKind, NotificationEventType, NotificationMessage } from '../../api/named-types';

export const CHANNEL_PAGE_SIZE = 20;
export const DELIVERY_PAGE_SIZE = 10;
export const EVENT_TYPES = ['BudgetThresholdCrossed', 'LowCreditBalanceReached', 'InvoiceIssued', 'RuntimeTestFailed'] as const;

const keys = {
  channels: (orgId: string) => ['organizations', orgId, 'notification-channels'] as const,
  deliveries: (orgId: string) => ['organizations', orgId, 'notification-deliveries'] as const,
};

export function useChannels(orgId: string, page: number) {
  return useQuery({
    queryKey: [...keys.channels(orgId), page],
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/v1/organizations/{orgId}/notification-channels', { params: { path: { orgId }, query: { page, pageSize: CHANNEL_PAGE_SIZE } } })),
  });
}

/** A channel's delivery log, refreshed while a message is on its way. */
export function useChannelDeliveries(orgId: string, channelId: string, page: number) {
  return useQuery({
    queryKey: [...keys.deliveries(orgId), channelId, page],
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.items.some((item) => item.status === 'pending' || item.status === 'retrying') ? 1000 : 5000),
    queryFn: () => unwrap(api.GET('/v1/organizations/{orgId}/notification-channels/{id}/deliveries', { params: { path: { orgId, id: channelId }, query: { page, pageSize: DELIVERY_PAGE_SIZE } } })),
  });
}

export function useDeadLetters(orgId: string, page: number, enabled: boolean) {
  const status: NotificationStatus = 'dead';
  return useQuery({
    queryKey: [...keys.deliveries(orgId), 'dead', page],
    enabled,
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/v1/organizations/{orgId}/notification-deliveries', { params: { path: { orgId }, query: { status, page, pageSize: DELIVERY_PAGE_SIZE } } })),
  });
}

function useOrgMutation<Input, Output>(orgId: string, call: (input: Input) => Promise<Output>) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess: async () => {
      await Promise.all([queries.invalidateQueries({ queryKey: keys.channels(orgId) }), queries.invalidateQueries({ queryKey: keys.deliveries(orgId) })]);
    },
  });
}

export function useCreateChannel(orgId: string) {
  return useOrgMutation(orgId, ({ body, key }: { body: NotificationChannelCreation; key: string }) =>
    unwrap(api.POST('/v1/organizations/{orgId}/notification-channels', { params: { path: { orgId }, header: { 'Idempotency-Key': key } }, body })),
  );
}

export function useUpdateChannel(orgId: string) {
  return useOrgMutation(orgId, ({ id, body }: { id: string; body: NotificationChannelChange }) =>
    unwrap(api.PATCH('/v1/organizations/{orgId}/notification-channels/{id}', { params: { path: { orgId, id }, header: { 'Idempotency-Key': idempotencyKey() } }, body })),
  );
}

export function useDeleteChannel(orgId: string) {
  return useOrgMutation(orgId, (id: string) => unwrap(api.DELETE('/v1/organizations/{orgId}/notification-channels/{id}', { params: { path: { orgId, id } } })));
}

export function useRotateSecret(orgId: string) {
  return useOrgMutation(orgId, (id: string) =>
    unwrap(api.POST('/v1/organizations/{orgId}/notification-channels/{id}/rotate-secret', { params: { path: { orgId, id }, header: { 'Idempotency-Key': idempotencyKey() } }, body: {} })),
  );
}

export function useTestChannel(orgId: string) {
  return useOrgMutation(orgId, (id: string) =>
    unwrap(api.POST('/v1/organizations/{orgId}/notification-channels/{id}/test', { params: { path: { orgId, id }, header: { 'Idempotency-Key': idempotencyKey() } }, body: {} })),
  );
}

export function useResend(orgId: string) {
  return useOrgMutation(orgId, (messageId: string) =>
    unwrap(api.POST('/v1/organizations/{orgId}/notification-deliveries/{messageId}/resend', { params: { path: { orgId, messageId }, header: { 'Idempotency-Key': idempotencyKey() } }, body: {} })),
  );
}
