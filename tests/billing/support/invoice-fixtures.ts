import { InvoiceDraftOpened, InvoiceStreams, derivedId, eventIdFor } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { type TestEnv, waitFor } from '@steward/testing';
import type { GatewayClient } from '../../gateway/support/gateway-client';

/**
 * A draft invoice of a past period for `organizationId`, appended to the stack's store as the close job would
 * (same stream, same derived id), then awaited in the read model through the API. For the table-driven
 * gateway suites, which need an invoice id per tenant without waiting for a month to end.
 */
export async function draftInvoiceFixture(env: TestEnv, client: GatewayClient, token: string, organizationId: string, period = '2026-01'): Promise<string> {
  const invoiceId = derivedId('invoice', `${organizationId}\n${period}`);
  const store = new PostgresEventStore({ pool: env.pool });
  try {
    const data = InvoiceDraftOpened.schema.parse({
      organizationId,
      invoiceId,
      period,
      timeZone: 'UTC',
      periodStart: `${period}-01T00:00:00.000Z`,
      periodEnd: new Date(Date.UTC(Number(period.slice(0, 4)), Number(period.slice(5, 7)), 1)).toISOString(),
      graceEndsAt: new Date(Date.UTC(Number(period.slice(0, 4)), Number(period.slice(5, 7)), 4)).toISOString(),
      creditsPerUsd: '100',
      lines: [{ kind: 'plan_fee', description: 'Standard plan', planId: 'standard', amountUsd: '49', amountCredits: '4900' }],
      totals: { subtotalUsd: '49', subtotalCredits: '4900', creditsApplied: '0', creditsAppliedUsd: '0', totalDueUsd: '49.00', totalDueCredits: '4900' },
      creditsAppliedThrough: 0,
      openedAt: new Date().toISOString(),
    });
    await store.append(
      InvoiceStreams.invoice(organizationId, period),
      [{ eventId: eventIdFor(`fixture-invoice:${invoiceId}`, 0), type: 'InvoiceDraftOpened', version: 1, data, metadata: { correlationId: invoiceId, actor: { type: 'system', id: 'test' }, organizationId, occurredAt: data.openedAt } }],
      { expectedRevision: 'any' },
    );
  } finally {
    await store.close();
  }
  await waitFor(`invoice ${invoiceId} in the read model`, async () => {
    const answer = await client.call('GET', `/v1/organizations/${organizationId}/billing/invoices/${invoiceId}`, { token });
    return answer.status === 200 ? true : undefined;
  });
  return invoiceId;
}
