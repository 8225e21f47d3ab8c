import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** One budget as the screens list it: `rm_budgets.budgets` (removed budgets leave). */
export interface BudgetsTable {
  budget_id: string;
  organization_id: string;
  workspace_id: string;
  name: string;
  scope: Json<{ agent?: string; provider?: string; model?: string; apiKeyId?: string }>;
  period: string;
  time_zone: string;
  limit_usd: string;
  thresholds: Json<number[]>;
  enforcement: string;
  defined_by: string;
  defined_at: Timestamp;
  updated_at: Timestamp;
}

/** One alert of the Usage Analytics screen: `rm_budgets.alerts` (threshold crossings, low credit balances). */
export interface BudgetAlertsTable {
  /** The event's id. */
  alert_id: string;
  organization_id: string;
  /** null: an alert of the whole organization (a low credit balance). */
  workspace_id: string | null;
  type: 'budget_threshold' | 'low_credit_balance';
  message: string;
  budget_id: string | null;
  budget_name: string | null;
  threshold_percent: number | null;
  /** Low credit balance: the threshold in credits. */
  threshold: string | null;
  spend_usd: string | null;
  limit_usd: string | null;
  /** Low credit balance: the balance in credits. */
  balance: string | null;
  period_label: string | null;
  period_start: Timestamp | null;
  enforcement: string | null;
  at: Timestamp;
}

export interface BudgetsDB {
  budgets: BudgetsTable;
  alerts: BudgetAlertsTable;
}

/**
 * The spend reactor's tables, `rm_budget_spend` (written by the budgets service's reactor in the same
 * transaction as its checkpoint): budgets as the reactor knows them, spend per budget and period, and the
 * claims that make each threshold crossing once.
 */
export interface SpendBudgetsTable {
  budget_id: string;
  organization_id: string;
  workspace_id: string;
  definition: Json<Record<string, unknown>>;
  removed: boolean;
}

export interface SpendTable {
  budget_id: string;
  period_start: Timestamp;
  period_end: Timestamp;
  spend_usd: string;
  /** The global position of the last usage event counted (`commit/prepare`). */
  through: string;
}

export interface ThresholdClaimsTable {
  budget_id: string;
  period_start: Timestamp;
  threshold_percent: number;
  claimed_at: Timestamp;
}

export interface SpendDB {
  budgets: SpendBudgetsTable;
  spend: SpendTable;
  threshold_claims: ThresholdClaimsTable;
}
