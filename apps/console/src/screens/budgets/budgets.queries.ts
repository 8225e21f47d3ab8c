/** Budgets' reads and writes: a workspace's budgets (with the current period's spend), define, change, remove. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Role } from '../../api/account.queries';
import { api, idempotencyKey, unwrap } from '../../api/client';
import type { BudgetDefinition } from '../../api/named-types';

export type { Budget, BudgetDefinition, BudgetEnforcement, BudgetPeriod, BudgetScope } from '../../api/named-types';

export const BUDGET_PAGE_SIZE = 20;

const budgetKeys = (wsId: string) => ['workspaces', wsId, 'budgets'] as const;

/** Owners, admins and billing members define and change budgets; every member reads them. */
export function mayWriteBudgets(role: Role | undefined): boolean {
  return role === 'owner' || role === 'admin' || role === 'billing';
}

export function useBudgets(wsId: string, page: number) {
  return useQuery({
    queryKey: [...budgetKeys(wsId), page],
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/v1/workspaces/{wsId}/budgets', { params: { path: { wsId }, query: { page, pageSize: BUDGET_PAGE_SIZE } } })),
  });
}

/** Defines a budget (no id) or changes one (only the fields given). */
export function useSaveBudget(wsId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body, key }: { id?: string; body: Partial<BudgetDefinition>; key: string }) =>
      id === undefined
        ? unwrap(api.POST('/v1/workspaces/{wsId}/budgets', { params: { path: { wsId }, header: { 'Idempotency-Key': key } }, body: body as BudgetDefinition }))
        : unwrap(api.PATCH('/v1/workspaces/{wsId}/budgets/{id}', { params: { path: { wsId, id }, header: { 'Idempotency-Key': key } }, body })),
    onSuccess: () => queries.invalidateQueries({ queryKey: budgetKeys(wsId) }),
  });
}

export function useRemoveBudget(wsId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/v1/workspaces/{wsId}/budgets/{id}', { params: { path: { wsId, id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: budgetKeys(wsId) }),
  });
}

export { idempotencyKey };
