import { sql, type Kysely } from 'kysely';
import type { InvoiceLine, InvoiceLineItem } from '@steward/contracts';
import { INVOICES_SCHEMA } from './invoices.projection';
import type { InvoiceDB, InvoiceLineRow, InvoiceRow } from './invoices.table';

/** An invoice as the API shows it (amounts exact decimal text). */
export interface InvoiceSummaryView {
  readonly id: string;
  readonly organizationId: string;
  readonly period: string;
  readonly status: 'draft' | 'issued' | 'paid' | 'void';
  readonly number: string | null;
  readonly timeZone: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly graceEndsAt: string;
  readonly issuedAt: string | null;
  readonly dueAt: string | null;
  readonly paidAt: string | null;
  readonly voidedAt: string | null;
  /** Why it was voided (null unless void). */
  readonly voidReason: string | null;
  readonly creditsPerUsd: string;
  readonly subtotalUsd: string;
  readonly subtotalCredits: string;
  readonly creditsApplied: string;
  readonly creditsAppliedUsd: string;
  readonly totalDueUsd: string;
  readonly totalDueCredits: string;
  readonly payment: { readonly provider: string; readonly reference: string } | null;
  readonly lastPaymentFailure: string | null;
}

export interface InvoiceView extends InvoiceSummaryView {
  readonly lines: InvoiceLine[];
}

export interface InvoicePage {
  readonly items: InvoiceSummaryView[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly pageCount: number;
}

/** What issued invoices billed for one period's usage, per line key (usage plus later adjustments). */
export interface BilledUsage {
  readonly period: string;
  readonly workspaceId: string;
  readonly provider: string;
  readonly model: string;
  readonly priceKey: string;
  readonly items: InvoiceLineItem[];
  readonly calls: string;
  readonly inputTokens: string;
  readonly cacheReadTokens: string;
  readonly cacheCreationTokens: string;
  readonly outputTokens: string;
  readonly reasoningTokens: string;
  readonly cost: string;
}

const iso = (value: Date | null): string | null => (value === null ? null : new Date(value).toISOString());
/** numeric as PostgreSQL prints it, without trailing zeros of the scale. */
const plain = (value: string): string => (value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value) || '0';

function summary(row: InvoiceRow): InvoiceSummaryView {
  return {
    id: row.invoice_id,
    organizationId: row.organization_id,
    period: row.period,
    status: row.status,
    number: row.number,
    timeZone: row.time_zone,
    periodStart: iso(row.period_start)!,
    periodEnd: iso(row.period_end)!,
    graceEndsAt: iso(row.grace_ends_at)!,
    issuedAt: iso(row.issued_at),
    dueAt: iso(row.due_at),
    paidAt: iso(row.paid_at),
    voidedAt: iso(row.voided_at),
    voidReason: row.void_reason ?? null,
    creditsPerUsd: plain(row.credits_per_usd),
    subtotalUsd: plain(row.subtotal_usd),
    subtotalCredits: plain(row.subtotal_credits),
    creditsApplied: plain(row.credits_applied),
    creditsAppliedUsd: plain(row.credits_applied_usd),
    // money due keeps its cents
    totalDueUsd: row.total_due_usd,
    totalDueCredits: plain(row.total_due_credits),
    payment: row.payment_provider && row.payment_reference ? { provider: row.payment_provider, reference: row.payment_reference } : null,
    lastPaymentFailure: row.last_payment_failure,
  };
}

function line(row: InvoiceLineRow): InvoiceLine {
  return {
    kind: row.kind,
    description: row.description,
    ...(row.workspace_id ? { workspaceId: row.workspace_id } : {}),
    ...(row.provider ? { provider: row.provider } : {}),
    ...(row.model ? { model: row.model } : {}),
    ...(row.price_key ? { priceKey: row.price_key } : {}),
    ...(row.kind === 'adjustment' && row.usage_period ? { adjustsPeriod: row.usage_period } : {}),
    ...(row.calls !== null ? { calls: row.calls } : {}),
    ...(row.items ? { items: row.items as InvoiceLineItem[] } : {}),
    ...(row.plan_id ? { planId: row.plan_id } : {}),
    ...(row.from_at ? { from: iso(row.from_at)! } : {}),
    ...(row.to_at ? { to: iso(row.to_at)! } : {}),
    amountUsd: plain(row.amount_usd),
    amountCredits: plain(row.amount_credits),
  };
}

/** The invoices read model's queries; every one takes the organization first. Never writes. */
export class InvoiceReadRepository {
  constructor(private readonly deps: { readonly db: Kysely<unknown> }) {}

  private get db(): Kysely<InvoiceDB> {
    return (this.deps.db as Kysely<InvoiceDB>).withSchema(INVOICES_SCHEMA);
  }

  /** Newest period first. */
  async list(organizationId: string, request: { page: number; pageSize: number; status?: InvoiceSummaryView['status'] | undefined }): Promise<InvoicePage> {
    let query = this.db.selectFrom('invoices').where('organization_id', '=', organizationId);
    if (request.status) query = query.where('status', '=', request.status);
    const [rows, count] = await Promise.all([
      query
        .selectAll()
        .orderBy('period', 'desc')
        .limit(request.pageSize)
        .offset((request.page - 1) * request.pageSize)
        .execute(),
      query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ]);
    const total = Number(count.total);
    return { items: rows.map(summary), total, page: request.page, pageSize: request.pageSize, pageCount: Math.ceil(total / request.pageSize) };
  }

  async get(organizationId: string, invoiceId: string): Promise<InvoiceView | undefined> {
    const row = await this.db.selectFrom('invoices').selectAll().where('organization_id', '=', organizationId).where('invoice_id', '=', invoiceId).executeTakeFirst();
    if (!row) return undefined;
    const lines = await this.db.selectFrom('invoice_lines').selectAll().where('organization_id', '=', organizationId).where('invoice_id', '=', invoiceId).orderBy('position').execute();
    return { ...summary(row), lines: lines.map(line) };
  }

  async getByPeriod(organizationId: string, period: string): Promise<InvoiceSummaryView | undefined> {
    const row = await this.db.selectFrom('invoices').selectAll().where('organization_id', '=', organizationId).where('period', '=', period).executeTakeFirst();
    return row ? summary(row) : undefined;
  }

  /** The organizations' drafts (periods and zones): waiting for late usage or their issue. None before the read model exists. */
  async draftPeriods(organizationIds: readonly string[]): Promise<Map<string, Array<{ period: string; timeZone: string }>>> {
    const found = new Map<string, Array<{ period: string; timeZone: string }>>();
    if (organizationIds.length === 0) return found;
    let rows: Array<{ organization_id: string; period: string; time_zone: string }>;
    try {
      rows = await this.db
        .selectFrom('invoices')
        .select(['organization_id', 'period', 'time_zone'])
        .where('organization_id', '=', sql<string>`ANY(${[...organizationIds]}::text[])`)
        .where('status', '=', 'draft')
        .execute();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '42P01' || code === '3F000') return found;
      throw error;
    }
    for (const row of rows) found.set(row.organization_id, [...(found.get(row.organization_id) ?? []), { period: row.period, timeZone: row.time_zone }]);
    return found;
  }

  /** The organization's customer at `provider`, once a webhook named one. */
  async customerOf(organizationId: string, provider: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('provider_customers').select('customer_id').where('organization_id', '=', organizationId).where('provider', '=', provider).executeTakeFirst();
    return row?.customer_id;
  }

  /** The organizations' issued (or paid, or void) invoices: period and the bounds it was cut with, oldest first. None before the read model exists. */
  async issuedPeriods(organizationIds: readonly string[]): Promise<Map<string, Array<{ period: string; start: number; end: number }>>> {
    const found = new Map<string, Array<{ period: string; start: number; end: number }>>();
    if (organizationIds.length === 0) return found;
    let rows: Array<{ organization_id: string; period: string; period_start: Date; period_end: Date }>;
    try {
      rows = await this.db
        .selectFrom('invoices')
        .select(['organization_id', 'period', 'period_start', 'period_end'])
        .where('organization_id', '=', sql<string>`ANY(${[...organizationIds]}::text[])`)
        .where('status', '<>', 'draft')
        .orderBy('period')
        .execute();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '42P01' || code === '3F000') return found;
      throw error;
    }
    for (const row of rows) {
      const list = found.get(row.organization_id) ?? [];
      list.push({ period: row.period, start: new Date(row.period_start).getTime(), end: new Date(row.period_end).getTime() });
      found.set(row.organization_id, list);
    }
    return found;
  }

  /**
   * Per organization and usage period: what issued invoices billed, per line key (the usage line of
   * the period's own invoice plus every adjustment issued for it since). Drafts bill nothing yet.
   */
  async billedUsage(organizationIds: readonly string[], periods: readonly string[]): Promise<Map<string, BilledUsage[]>> {
    const found = new Map<string, BilledUsage[]>();
    if (organizationIds.length === 0 || periods.length === 0) return found;
    const rows = await sql<{
      organization_id: string;
      usage_period: string;
      workspace_id: string;
      provider: string;
      model: string;
      price_key: string;
      items: InvoiceLineItem[];
      calls: string;
      input_tokens: string;
      cache_read_tokens: string;
      cache_creation_tokens: string;
      output_tokens: string;
      reasoning_tokens: string;
      cost: string;
    }>`
      SELECT l.organization_id, l.usage_period, l.workspace_id, l.provider, l.model, l.price_key, (array_agg(l.items ORDER BY l.invoice_id))[1] AS items,
        sum(l.calls)::text AS calls, sum(l.input_tokens)::text AS input_tokens, sum(l.cache_read_tokens)::text AS cache_read_tokens,
        sum(l.cache_creation_tokens)::text AS cache_creation_tokens, sum(l.output_tokens)::text AS output_tokens,
        sum(l.reasoning_tokens)::text AS reasoning_tokens, sum(l.amount_usd)::text AS cost
      FROM ${sql.id(INVOICES_SCHEMA, 'invoice_lines')} l
      JOIN ${sql.id(INVOICES_SCHEMA, 'invoices')} i ON i.organization_id = l.organization_id AND i.invoice_id = l.invoice_id AND i.status <> 'draft'
      WHERE l.organization_id = ANY(${[...organizationIds]}::text[]) AND l.usage_period = ANY(${[...periods]}::text[]) AND l.kind IN ('usage', 'adjustment')
      GROUP BY l.organization_id, l.usage_period, l.workspace_id, l.provider, l.model, l.price_key`.execute(this.deps.db);
    for (const row of rows.rows) {
      const key = `${row.organization_id}|${row.usage_period}`;
      found.set(key, [
        ...(found.get(key) ?? []),
        {
          period: row.usage_period,
          workspaceId: row.workspace_id,
          provider: row.provider,
          model: row.model,
          priceKey: row.price_key,
          items: row.items ?? [],
          calls: plain(row.calls),
          inputTokens: plain(row.input_tokens),
          cacheReadTokens: plain(row.cache_read_tokens),
          cacheCreationTokens: plain(row.cache_creation_tokens),
          outputTokens: plain(row.output_tokens),
          reasoningTokens: plain(row.reasoning_tokens),
          cost: plain(row.cost),
        },
      ]);
    }
    return found;
  }
}
