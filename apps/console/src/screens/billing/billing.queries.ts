/**
 * The billing API as the screens use it: one key tree per organization, so any write (credits, plan, payment,
 * configuration) refreshes every billing view of that organization — and the Dashboard's cards — at once.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, idempotencyKey, unwrap } from '../../api/client';
import type { paths } from '../../api/schema.generated';

export type BillingOverview = paths['/v1/organizations/{orgId}/billing']['get']['responses'][200]['content']['application/json'];
export type LedgerPage = paths['/v1/organizations/{orgId}/billing/ledger']['get']['responses'][200]['content']['application/json'];
export type Invoice = paths['/v1/organizations/{orgId}/billing/invoices']['get']['responses'][200]['content']['application/json']['items'][number];

export const billingKeys = {
  all: (orgId: string) => ['organizations', orgId, 'billing'] as const,
  overview: (orgId: string) => ['organizations', orgId, 'billing', 'overview'] as const,
  ledger: (orgId: string, page: number) => ['organizations', orgId, 'billing', 'ledger', page] as const,
  invoices: (orgId: string, page: number) => ['organizations', orgId, 'billing', 'invoices', page] as const,
};

export function useBillingOverview(orgId: string) {
  return useQuery({
    queryKey: billingKeys.overview(orgId),
    queryFn: () => unwrap(api.GET('/v1/organizations/{orgId}/billing', { params: { path: { orgId } } })),
  });
}

/** After a billing write: every billing view of the organization and its Dashboard read again. */
export function useBillingRefresh(orgId: string) {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: billingKeys.all(orgId) }),
      client.invalidateQueries({ queryKey: ['organizations', orgId, 'overview'] }),
    ]);
}

/**
 * One Idempotency-Key per distinct request of a form: a retried or double-clicked submit of the same values is
 * applied once, and corrected values (after a 400) are a new request rather than the API's 422 for a reused key.
 */
export function useIdempotencyKeys(): (request: unknown) => string {
  const [keys] = useState(() => new Map<string, string>());
  return (request) => {
    const id = JSON.stringify(request);
    let key = keys.get(id);
    if (key === undefined) {
      key = idempotencyKey();
      keys.set(id, key);
    }
    return key;
  };
}
