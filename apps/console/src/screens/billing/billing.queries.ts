/**
 * The billing API as the screens use it: one key tree per organization, so any write (credits, plan, payment,
 * configuration) refreshes every billing view of that organization — and the Dashboard's cards — at once.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useMyOrganizations } from '../../api/account.queries';
import { api, idempotencyKey, unwrap } from '../../api/client';
import type { BillingPlan, BillingSettings } from '../../api/named-types';
import type { paths } from '../../api/schema.generated';

/** The cards; `settings` (Billing Configuration) is in the API, not yet in the generated schema. */
export type BillingOverview = paths['/v1/organizations/{orgId}/billing']['get']['responses'][200]['content']['application/json'] & { settings?: BillingSettings };
export type { BillingPlan, BillingSettings };
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

/** The plan catalogue (the same for every organization). */
export function useBillingPlans() {
  return useQuery({ queryKey: ['billing', 'plans'] as const, queryFn: () => unwrap(api.GET('/v1/billing/plans')), staleTime: 5 * 60_000 });
}

/** Roles whose holders change billing (billing.write): an owner, or the billing role in any workspace of the organization. */
const BILLING_WRITERS: ReadonlySet<string> = new Set(['owner', 'billing']);

/** Whether the signed-in person may change the organization's billing (undefined while unknown). */
export function useCanWriteBilling(orgId: string): boolean | undefined {
  const organizations = useMyOrganizations();
  if (!organizations.data) return undefined;
  const organization = organizations.data.items.find((candidate) => candidate.id === orgId);
  if (!organization) return false;
  return (organization.role !== null && BILLING_WRITERS.has(organization.role)) || organization.workspaces.some((seat) => BILLING_WRITERS.has(seat.role));
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
