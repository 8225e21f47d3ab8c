import { z } from 'zod';
import { nameText, storedText } from '../fields';
import { AmountSchema } from '../billing/billing-fields';

/*
 * The budgets context's vocabulary. A budget's limit is USD, exact (text);
 * its period is a calendar day, ISO week (Monday) or month in its time zone;
 * its scope is a workspace, optionally narrowed to an agent, a provider /
 * model or an API key.
 */

export const BUDGET_PERIOD_KINDS = ['daily', 'weekly', 'monthly'] as const;
export const BudgetPeriodKindSchema = z.enum(BUDGET_PERIOD_KINDS);
export type BudgetPeriodKind = z.infer<typeof BudgetPeriodKindSchema>;

/** `notify`: alerts only; `block`: reservations that would take spend + holds past the limit are refused (402). */
export const BUDGET_ENFORCEMENTS = ['notify', 'block'] as const;
export const BudgetEnforcementSchema = z.enum(BUDGET_ENFORCEMENTS);
export type BudgetEnforcement = z.infer<typeof BudgetEnforcementSchema>;

/**
 * The highest limit a budget may have: the reservation counters hold USD in units of 10⁻⁸ as IEEE doubles,
 * exact below 2⁵³ units (about 90 million USD).
 */
export const MAX_BUDGET_LIMIT_USD = 10_000_000;

/** A budget's limit: positive USD, exact, at most 12 decimal places, at most MAX_BUDGET_LIMIT_USD. */
export const BudgetLimitSchema = AmountSchema.refine((value) => /[1-9]/.test(value), 'must be greater than 0').refine(
  (value) => Number(value) <= MAX_BUDGET_LIMIT_USD,
  `at most ${MAX_BUDGET_LIMIT_USD} USD`,
);

export const DEFAULT_BUDGET_THRESHOLDS: readonly number[] = [50, 80, 100];

/** Percentages of the limit at which BudgetThresholdCrossed is raised (once per period each): distinct whole numbers 1–1000. */
export const BudgetThresholdsSchema = z
  .array(z.number().int().min(1).max(1000))
  .min(1)
  .max(10)
  .refine((values) => new Set(values).size === values.length, 'thresholds must be distinct');

/** What a budget covers inside its workspace; a field left out covers every value of it. */
export const BudgetScopeSchema = z
  .object({
    agent: storedText(200).optional(),
    provider: storedText(100)
      .transform((provider) => provider.toLowerCase())
      .optional(),
    model: storedText(200).optional(),
    /** The API key whose calls count (the key id, `key_…`). */
    apiKeyId: storedText(100).optional(),
  })
  .strict();
export type BudgetScope = z.infer<typeof BudgetScopeSchema>;

export const BudgetNameSchema = nameText(200);
