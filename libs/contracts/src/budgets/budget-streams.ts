/**
 * The budgets context's streams. A budget's definition is one aggregate,
 * `budget-<budgetId>` (defined, changed, removed, at its expected revision);
 * its threshold crossings go to `budget-alerts-<budgetId>`, appended by the
 * spend reactor with event ids derived from budget × period × threshold, so no
 * replay, restart or replica raises one twice.
 */
export const BudgetStreams = {
  budget: (budgetId: string): string => `budget-${budgetId}`,
  alerts: (budgetId: string): string => `budget-alerts-${budgetId}`,
} as const;

/** Every budgets stream starts with this. */
export const BUDGET_STREAM_PREFIX = 'budget-';
