import { z } from 'zod';
import { BUDGET_ENFORCEMENTS, BUDGET_PERIOD_KINDS } from '@steward/contracts';
import { pageSchema } from '../route-params';

const ScopeView = z.object({
  agent: z.string().optional(),
  provider: z.string().optional(),
  model: z.string().optional(),
  apiKeyId: z.string().optional(),
});

const PeriodView = z.object({ start: z.string(), end: z.string(), label: z.string() });

export const BudgetViewSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    workspaceId: z.string(),
    name: z.string(),
    scope: ScopeView,
    period: z.enum(BUDGET_PERIOD_KINDS),
    timeZone: z.string(),
    limitUsd: z.string(),
    thresholds: z.array(z.number().int()),
    enforcement: z.enum(BUDGET_ENFORCEMENTS),
    definedBy: z.string(),
    definedAt: z.string(),
    updatedAt: z.string(),
    current: z.object({ period: PeriodView, spendUsd: z.string(), remainingUsd: z.string() }),
  });

export const BudgetPageSchema = pageSchema(BudgetViewSchema);

export const ReservationViewSchema = z
  .object({
    reservationId: z.string(),
    expiresAt: z.string(),
    /** The least headroom left among the block budgets held on, after this hold; null when no block budget applies. */
    remainingUsd: z.string().nullable(),
    budgetIds: z.array(z.string()),
  });

export const BudgetAlertViewSchema = z
  .object({
    id: z.string(),
    type: z.enum(['budget_threshold', 'low_credit_balance']),
    message: z.string(),
    workspaceId: z.string().nullable(),
    budget: z.object({ id: z.string(), name: z.string() }).nullable(),
    thresholdPercent: z.number().int().nullable(),
    threshold: z.string().nullable(),
    spendUsd: z.string().nullable(),
    limitUsd: z.string().nullable(),
    balance: z.string().nullable(),
    period: z.string().nullable(),
    enforcement: z.enum(BUDGET_ENFORCEMENTS).nullable(),
    timestamp: z.string(),
  });

export const BudgetAlertPageSchema = pageSchema(BudgetAlertViewSchema)
  .extend({ from: z.string(), to: z.string(), workspaceIds: z.array(z.string()) });
