import type { ColumnType, Insertable, Selectable } from 'kysely';

type Time = ColumnType<Date, Date | string, Date | string>;
type NullableTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** Exact decimal: PostgreSQL numeric, read and written as text. */
type Numeric = ColumnType<string, string, string>;

/** One row per invoice (a draft until issued), one invoice per organization and period. */
export interface InvoicesTable {
  organization_id: string;
  invoice_id: string;
  period: string;
  status: 'draft' | 'issued' | 'paid' | 'void';
  /** Null while a draft. */
  number: string | null;
  sequence: number | null;
  time_zone: string;
  period_start: Time;
  period_end: Time;
  grace_ends_at: Time;
  credits_per_usd: Numeric;
  subtotal_usd: Numeric;
  subtotal_credits: Numeric;
  credits_applied: Numeric;
  credits_applied_usd: Numeric;
  total_due_usd: Numeric;
  total_due_credits: Numeric;
  credits_applied_through: number;
  opened_at: Time;
  issued_at: NullableTime;
  due_at: NullableTime;
  paid_at: NullableTime;
  payment_provider: string | null;
  payment_reference: string | null;
  last_payment_failure: string | null;
  voided_at: NullableTime;
  void_reason: string | null;
  updated_at: Time;
}

/**
 * The lines of an invoice, in order (replaced whole while a draft). `usage_period` is the period
 * the usage of a usage or adjustment line belongs to: what later adjustments compare against.
 */
export interface InvoiceLinesTable {
  organization_id: string;
  invoice_id: string;
  position: number;
  kind: 'plan_fee' | 'proration' | 'usage' | 'adjustment' | 'credits_applied';
  description: string;
  usage_period: string | null;
  workspace_id: string | null;
  provider: string | null;
  model: string | null;
  price_key: string | null;
  plan_id: string | null;
  from_at: NullableTime;
  to_at: NullableTime;
  calls: ColumnType<string | null, string | null, string | null>;
  input_tokens: ColumnType<string | null, string | null, string | null>;
  cache_read_tokens: ColumnType<string | null, string | null, string | null>;
  cache_creation_tokens: ColumnType<string | null, string | null, string | null>;
  output_tokens: ColumnType<string | null, string | null, string | null>;
  reasoning_tokens: ColumnType<string | null, string | null, string | null>;
  /** The line's items (token type, quantity, unit price, amount) as JSON. */
  items: ColumnType<unknown, string | null, string | null>;
  amount_usd: Numeric;
  amount_credits: Numeric;
}

export type InvoiceRow = Selectable<InvoicesTable>;
export type NewInvoiceRow = Insertable<InvoicesTable>;
export type InvoiceLineRow = Selectable<InvoiceLinesTable>;
export type NewInvoiceLineRow = Insertable<InvoiceLinesTable>;

/** The payment provider's customer of an organization (the latest a webhook named): where "Manage Subscription" leads. */
export interface ProviderCustomersTable {
  organization_id: string;
  provider: string;
  customer_id: string;
  updated_at: Time;
}

/** The `invoices` read model (schema `rm_invoices`). */
export interface InvoiceDB {
  invoices: InvoicesTable;
  invoice_lines: InvoiceLinesTable;
  provider_customers: ProviderCustomersTable;
}
