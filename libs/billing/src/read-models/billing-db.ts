import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** One organization's billing account as the cards show it: `rm_billing.accounts`. */
export interface BillingAccountsTable {
  organization_id: string;
  plan_id: string;
  time_zone: string;
  /** null: the plan's overdraft policy. */
  overdraft_limit: string | null;
  low_balance_thresholds: Json<string[]>;
  period: string;
  period_start: Timestamp;
  period_end: Timestamp;
  scheduled_plan_id: string | null;
  scheduled_effective_at: Timestamp | null;
  /** Σ grant remainders − overdraft in use, exact: the running balance of the last ledger entry. */
  balance: string;
  suspended: boolean;
  /** The global position of the last usage event consumed. */
  consumed_through: string | null;
  /** The stream revision of the last event applied. */
  revision: string;
  opened_at: Timestamp;
  updated_at: Timestamp;
}

/** One grant and what is left of it: `rm_billing.grants`. */
export interface BillingGrantsTable {
  organization_id: string;
  grant_id: string;
  kind: string;
  amount: string;
  remaining: string;
  priority: number;
  expires_at: Timestamp | null;
  expired: boolean;
  granted_by: string;
  reason: string;
  granted_at: Timestamp;
}

/** One line of the bank statement: `rm_billing.ledger`. */
export interface BillingLedgerTable {
  organization_id: string;
  /** The event's revision in the account stream: the statement's order. */
  revision: string;
  event_id: string;
  kind: 'grant' | 'consumption' | 'expiry' | 'adjustment';
  at: Timestamp;
  /** Signed change of the balance, credits. */
  credits: string;
  /** Priced usage behind a consumption, USD (null otherwise). */
  usd: string | null;
  /** The balance after this line. */
  balance: string;
  description: string;
  details: Json<Record<string, unknown>>;
}

/** What a period cost an organization: `rm_billing.period_totals` (the Current Billing card). */
export interface BillingPeriodTotalsTable {
  organization_id: string;
  period: string;
  /** Plan fee of the period plus upgrade prorations, USD. */
  fees_usd: string;
  /** Priced usage consumed in the period (by when it was consumed, in the billing time zone), USD. */
  usage_usd: string;
  usage_credits: string;
}

export interface BillingDB {
  accounts: BillingAccountsTable;
  grants: BillingGrantsTable;
  ledger: BillingLedgerTable;
  period_totals: BillingPeriodTotalsTable;
}
