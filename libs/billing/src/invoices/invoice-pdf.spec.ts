import { extractText, getDocumentProxy } from 'unpdf';
import type { InvoiceView } from '../read-models/invoices/invoice-read.repository';
import { renderInvoicePdf } from './invoice-pdf';

const invoice: InvoiceView = {
  id: 'invc_1',
  organizationId: 'org_1',
  period: '2026-03',
  status: 'issued',
  number: 'INV-ABC123-000001',
  timeZone: 'Pacific/Kiritimati',
  periodStart: '2026-02-28T10:00:00.000Z',
  periodEnd: '2026-03-31T10:00:00.000Z',
  graceEndsAt: '2026-04-03T10:00:00.000Z',
  issuedAt: '2026-04-03T10:00:00.000Z',
  dueAt: '2026-04-17T10:00:00.000Z',
  paidAt: null,
  voidedAt: null,
  voidReason: null,
  creditsPerUsd: '100',
  subtotalUsd: '49.00775',
  subtotalCredits: '4900.775',
  creditsApplied: '0.5',
  creditsAppliedUsd: '0.005',
  totalDueUsd: '49.00',
  totalDueCredits: '4900.275',
  payment: null,
  lastPaymentFailure: null,
  lines: [
    { kind: 'plan_fee', description: 'Standard plan', amountUsd: '49', amountCredits: '4900' },
    {
      kind: 'usage',
      description: 'Usage: openai gpt-4o in ws_1',
      calls: '3',
      items: [{ tokenType: 'input', quantity: '1000', unitPriceUsd: '0.0000025', amountUsd: '0.0025' }],
      amountUsd: '0.00775',
      amountCredits: '0.775',
    },
    { kind: 'credits_applied', description: 'Credits applied to usage', amountUsd: '-0.005', amountCredits: '-0.5' },
  ],
};

describe('invoice PDF', () => {
  it('holds the number, the lines with quantities and unit prices, and the totals (text parsed back with unpdf)', async () => {
    const pdf = await renderInvoicePdf(invoice, 'Acme');
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true });
    for (const expected of [
      'Invoice INV-ABC123-000001',
      'Pacific/Kiritimati',
      'Standard plan',
      '49 USD | 4900 credits',
      'Usage: openai gpt-4o in ws_1',
      '1000 input tokens x 0.0000025 USD = 0.0025 USD',
      'Credits applied to usage',
      'Total due: 49.00 USD (4900.275 credits)',
    ]) {
      expect(text).toContain(expected);
    }
  });
});
