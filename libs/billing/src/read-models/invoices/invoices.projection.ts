import type { Transaction } from 'kysely';
import { INVOICE_STREAM_PREFIXES, type InvoiceEvent, type InvoiceLine, type PaymentProviderEventReceived } from '@steward/contracts';
import type { z } from 'zod';
import { defineProjection, projectionSchema, withEventData } from '@steward/projections';
import type { InvoiceDB, NewInvoiceLineRow } from './invoices.table';

export const INVOICES_PROJECTION = 'invoices';
/** `rm_invoices`: InvoiceReadRepository queries it. */
export const INVOICES_SCHEMA = projectionSchema(INVOICES_PROJECTION);

const TOKENS = { input: 'input_tokens', cacheRead: 'cache_read_tokens', cacheCreation: 'cache_creation_tokens', output: 'output_tokens', reasoningOutput: 'reasoning_tokens' } as const;

function lineRow(organizationId: string, invoiceId: string, period: string, line: InvoiceLine, position: number): NewInvoiceLineRow {
  const tokens: Record<(typeof TOKENS)[keyof typeof TOKENS], string | null> = {
    input_tokens: null,
    cache_read_tokens: null,
    cache_creation_tokens: null,
    output_tokens: null,
    reasoning_tokens: null,
  };
  if (line.items) for (const column of Object.values(TOKENS)) tokens[column] = '0';
  for (const item of line.items ?? []) tokens[TOKENS[item.tokenType]] = item.quantity;
  const isUsage = line.kind === 'usage' || line.kind === 'adjustment';
  return {
    organization_id: organizationId,
    invoice_id: invoiceId,
    position,
    kind: line.kind,
    description: line.description,
    usage_period: isUsage ? (line.adjustsPeriod ?? period) : null,
    workspace_id: line.workspaceId ?? null,
    provider: line.provider ?? null,
    model: line.model ?? null,
    price_key: line.priceKey ?? null,
    plan_id: line.planId ?? null,
    from_at: line.from ?? null,
    to_at: line.to ?? null,
    calls: line.calls ?? null,
    ...tokens,
    items: line.items ? JSON.stringify(line.items) : null,
    amount_usd: line.amountUsd,
    amount_credits: line.amountCredits,
  };
}

async function replaceLines(trx: Transaction<InvoiceDB>, data: { organizationId: string; invoiceId: string; period: string; lines: readonly InvoiceLine[] }): Promise<void> {
  await trx.deleteFrom('invoice_lines').where('organization_id', '=', data.organizationId).where('invoice_id', '=', data.invoiceId).execute();
  const rows = data.lines.map((line, index) => lineRow(data.organizationId, data.invoiceId, data.period, line, index + 1));
  // bounded statements: an invoice may carry thousands of usage lines
  for (let index = 0; index < rows.length; index += 1000) await trx.insertInto('invoice_lines').values(rows.slice(index, index + 1000)).execute();
}

function totalsColumns(data: { creditsPerUsd: string; totals: Extract<InvoiceEvent, { type: 'InvoiceIssued' }>['data']['totals']; creditsAppliedThrough: number }) {
  return {
    credits_per_usd: data.creditsPerUsd,
    subtotal_usd: data.totals.subtotalUsd,
    subtotal_credits: data.totals.subtotalCredits,
    credits_applied: data.totals.creditsApplied,
    credits_applied_usd: data.totals.creditsAppliedUsd,
    total_due_usd: data.totals.totalDueUsd,
    total_due_credits: data.totals.totalDueCredits,
    credits_applied_through: data.creditsAppliedThrough,
  };
}

const invoice = (trx: Transaction<InvoiceDB>, data: { organizationId: string; invoiceId: string }) =>
  trx.updateTable('invoices').where('organization_id', '=', data.organizationId).where('invoice_id', '=', data.invoiceId);

type ProviderEvent = { readonly type: 'PaymentProviderEventReceived'; readonly data: z.output<(typeof PaymentProviderEventReceived)['schema']> };

const handlers = withEventData<InvoiceDB, InvoiceEvent | ProviderEvent>({
  async PaymentProviderEventReceived(trx, data) {
    if (!data.organizationId || !data.customerId) return;
    await trx
      .insertInto('provider_customers')
      .values({ organization_id: data.organizationId, provider: data.provider, customer_id: data.customerId, updated_at: data.receivedAt })
      .onConflict((conflict) => conflict.columns(['organization_id', 'provider']).doUpdateSet({ customer_id: data.customerId!, updated_at: data.receivedAt }))
      .execute();
  },
  async InvoiceDraftOpened(trx, data) {
    const inserted = await trx
      .insertInto('invoices')
      .values({
        organization_id: data.organizationId,
        invoice_id: data.invoiceId,
        period: data.period,
        status: 'draft',
        number: null,
        sequence: null,
        time_zone: data.timeZone,
        period_start: data.periodStart,
        period_end: data.periodEnd,
        grace_ends_at: data.graceEndsAt,
        ...totalsColumns(data),
        opened_at: data.openedAt,
        updated_at: data.openedAt,
        payment_provider: null,
        payment_reference: null,
        last_payment_failure: null,
        void_reason: null,
      })
      .onConflict((conflict) => conflict.columns(['organization_id', 'invoice_id']).doNothing())
      .returning('invoice_id')
      .execute();
    if (inserted.length > 0) await replaceLines(trx, data);
  },
  async InvoiceDraftRefreshed(trx, data) {
    await invoice(trx, data).set({ ...totalsColumns(data), updated_at: data.refreshedAt }).execute();
    await replaceLines(trx, data);
  },
  async InvoiceNumberAssigned() {
    // the number arrives with InvoiceIssued in the same append
  },
  async InvoiceIssued(trx, data) {
    await invoice(trx, data)
      .set({ ...totalsColumns(data), status: 'issued', number: data.number, sequence: data.sequence, issued_at: data.issuedAt, due_at: data.dueAt, updated_at: data.issuedAt })
      .execute();
    await replaceLines(trx, data);
  },
  async InvoicePaid(trx, data) {
    await invoice(trx, data).set({ status: 'paid', paid_at: data.paidAt, payment_provider: data.provider, payment_reference: data.reference, updated_at: data.paidAt }).execute();
  },
  async InvoicePaymentFailed(trx, data) {
    await invoice(trx, data).set({ last_payment_failure: `${data.provider}: ${data.reason}`, updated_at: data.failedAt }).execute();
  },
  async InvoiceVoided(trx, data) {
    await invoice(trx, data).set({ status: 'void', voided_at: data.voidedAt, void_reason: data.reason, updated_at: data.voidedAt }).execute();
  },
});

export const invoicesProjection = defineProjection<InvoiceDB>({
  name: INVOICES_PROJECTION,
  version: 1,
  streamPrefixes: INVOICE_STREAM_PREFIXES,
  eventTypes: ['InvoiceDraftOpened', 'InvoiceDraftRefreshed', 'InvoiceIssued', 'InvoicePaid', 'InvoicePaymentFailed', 'InvoiceVoided', 'PaymentProviderEventReceived'],
  async migrate(db) {
    await db.schema
      .createTable('invoices')
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('invoice_id', 'text', (c) => c.notNull())
      .addColumn('period', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('number', 'text')
      .addColumn('sequence', 'integer')
      .addColumn('time_zone', 'text', (c) => c.notNull())
      .addColumn('period_start', 'timestamptz', (c) => c.notNull())
      .addColumn('period_end', 'timestamptz', (c) => c.notNull())
      .addColumn('grace_ends_at', 'timestamptz', (c) => c.notNull())
      .addColumn('credits_per_usd', 'numeric', (c) => c.notNull())
      .addColumn('subtotal_usd', 'numeric', (c) => c.notNull())
      .addColumn('subtotal_credits', 'numeric', (c) => c.notNull())
      .addColumn('credits_applied', 'numeric', (c) => c.notNull())
      .addColumn('credits_applied_usd', 'numeric', (c) => c.notNull())
      .addColumn('total_due_usd', 'numeric', (c) => c.notNull())
      .addColumn('total_due_credits', 'numeric', (c) => c.notNull())
      .addColumn('credits_applied_through', 'integer', (c) => c.notNull())
      .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
      .addColumn('issued_at', 'timestamptz')
      .addColumn('due_at', 'timestamptz')
      .addColumn('paid_at', 'timestamptz')
      .addColumn('payment_provider', 'text')
      .addColumn('payment_reference', 'text')
      .addColumn('last_payment_failure', 'text')
      .addColumn('voided_at', 'timestamptz')
      .addColumn('void_reason', 'text')
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('invoices_pk', ['organization_id', 'invoice_id'])
      .execute();
    // the read model holds the invariant too: one invoice per organization and period
    await db.schema.createIndex('invoices_one_per_period').on('invoices').columns(['organization_id', 'period']).unique().execute();
    await db.schema
      .createTable('invoice_lines')
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('invoice_id', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('usage_period', 'text')
      .addColumn('workspace_id', 'text')
      .addColumn('provider', 'text')
      .addColumn('model', 'text')
      .addColumn('price_key', 'text')
      .addColumn('plan_id', 'text')
      .addColumn('from_at', 'timestamptz')
      .addColumn('to_at', 'timestamptz')
      .addColumn('calls', 'numeric')
      .addColumn('input_tokens', 'numeric')
      .addColumn('cache_read_tokens', 'numeric')
      .addColumn('cache_creation_tokens', 'numeric')
      .addColumn('output_tokens', 'numeric')
      .addColumn('reasoning_tokens', 'numeric')
      .addColumn('items', 'jsonb')
      .addColumn('amount_usd', 'numeric', (c) => c.notNull())
      .addColumn('amount_credits', 'numeric', (c) => c.notNull())
      .addPrimaryKeyConstraint('invoice_lines_pk', ['organization_id', 'invoice_id', 'position'])
      .execute();
    await db.schema
      .createTable('provider_customers')
      .addColumn('organization_id', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('provider_customers_pk', ['organization_id', 'provider'])
      .execute();
    await db.schema.createIndex('invoice_lines_usage_period').on('invoice_lines').columns(['organization_id', 'usage_period']).execute();
  },
  handlers,
});
