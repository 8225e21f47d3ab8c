import { InvoiceDraftOpened, InvoiceIssued, InvoiceNumberAssigned, InvoiceStreams, derivedId, eventIdFor } from '@steward/contracts';
import { PostgresEventStore } from '@steward/event-store';
import { type TestEnv, waitFor } from '@steward/testing';
import type { GatewayClient } from '../../gateway/support/gateway-client';

/**
 * A draft invoice of a past period for `organizationId`, appended to the stack's store as the close job would
 * (same stream, same derived id), then awaited in the read model through the API. For the table-driven
 * gateway suites, which need an invoice id per tenant without waiting for a month to end.
 */
export async function draftInvoiceFixture(env: TestEnv, client: GatewayClient, token: string, organizationId: string, period = '2026-01', issued = false, sequence = 1): Promise<string> {
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
    if (issued) {
      // as the issue appends them: the number and the invoice in one atomic unit
      const meta = { correlationId: invoiceId, actor: { type: 'system' as const, id: 'test' }, organizationId, occurredAt: data.graceEndsAt };
      const number = `INV-FIXTURE-${String(sequence).padStart(6, '0')}`;
      await store.appendMany([
        {
          streamId: InvoiceStreams.numbering(organizationId),
          expectedRevision: 'any',
          events: [{ eventId: eventIdFor(`fixture-issue:${invoiceId}`, 0), type: 'InvoiceNumberAssigned', version: 1, data: InvoiceNumberAssigned.schema.parse({ organizationId, invoiceId, period, sequence, number, creditsAppliedThrough: 0 }), metadata: meta }],
        },
        {
          streamId: InvoiceStreams.invoice(organizationId, period),
          expectedRevision: 'any',
          events: [
            {
              eventId: eventIdFor(`fixture-issue:${invoiceId}`, 1),
              type: 'InvoiceIssued',
              version: 1,
              data: InvoiceIssued.schema.parse({
                organizationId,
                invoiceId,
                period,
                number,
                sequence,
                timeZone: data.timeZone,
                periodStart: data.periodStart,
                periodEnd: data.periodEnd,
                creditsPerUsd: data.creditsPerUsd,
                lines: data.lines,
                totals: data.totals,
                creditsAppliedThrough: 0,
                issuedAt: data.graceEndsAt,
                dueAt: data.graceEndsAt,
              }),
              metadata: meta,
            },
          ],
        },
      ]);
    }
  } finally {
    await store.close();
  }
  await waitFor(`invoice ${invoiceId} in the read model`, async () => {
    const answer = await client.call('GET', `/v1/organizations/${organizationId}/billing/invoices/${invoiceId}`, { token });
    return answer.status === 200 && (!issued || (answer.body as { status?: string }).status === 'issued') ? true : undefined;
  });
  return invoiceId;
}
