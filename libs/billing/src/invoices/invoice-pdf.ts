/**
 * An invoice as a PDF (pdfkit, its built-in Helvetica): header with number,
 * period and status, one row per line (usage lines with their quantities and
 * unit prices), the totals in USD and credits. Amounts are printed as the
 * read model holds them (exact decimal text), never through a float.
 */
import PDFDocument from 'pdfkit';
import type { InvoiceView } from '../read-models/invoices/invoice-read.repository';

const TOKEN_LABELS: Record<string, string> = {
  input: 'input tokens',
  cacheRead: 'cache read tokens',
  cacheCreation: 'cache creation tokens',
  output: 'output tokens',
  reasoningOutput: 'reasoning tokens',
};

export function renderInvoicePdf(invoice: InvoiceView, organizationName?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: `Invoice ${invoice.number ?? `draft ${invoice.period}`}`, Author: 'Steward' } });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);

    doc.font('Helvetica-Bold').fontSize(18).text(invoice.number ? `Invoice ${invoice.number}` : `Draft invoice ${invoice.period}`);
    doc.moveDown(0.5).font('Helvetica').fontSize(10);
    if (organizationName) doc.text(`Organization: ${organizationName}`);
    doc.text(`Organization id: ${invoice.organizationId}`);
    doc.text(`Billing period: ${invoice.period} (${invoice.timeZone}), ${invoice.periodStart} to ${invoice.periodEnd}`);
    doc.text(`Status: ${invoice.status}`);
    if (invoice.issuedAt) doc.text(`Issued: ${invoice.issuedAt}`);
    if (invoice.dueAt) doc.text(`Due: ${invoice.dueAt}`);
    doc.text(`Rate: ${invoice.creditsPerUsd} credits per USD`);
    doc.moveDown();

    doc.font('Helvetica-Bold').fontSize(11).text('Lines');
    doc.moveDown(0.3).font('Helvetica').fontSize(9);
    for (const line of invoice.lines) {
      doc.font('Helvetica-Bold').text(`${line.description}`, { continued: false });
      doc.font('Helvetica').text(`${line.amountUsd} USD | ${line.amountCredits} credits${line.calls ? ` | ${line.calls} calls` : ''}`, { indent: 12 });
      for (const item of line.items ?? []) {
        doc.text(`${item.quantity} ${TOKEN_LABELS[item.tokenType] ?? item.tokenType} x ${item.unitPriceUsd ?? 'unpriced'} USD = ${item.amountUsd} USD`, { indent: 24 });
      }
      doc.moveDown(0.2);
    }
    doc.moveDown();
    doc.font('Helvetica-Bold').fontSize(11).text('Totals');
    doc.font('Helvetica').fontSize(10);
    doc.text(`Subtotal: ${invoice.subtotalUsd} USD (${invoice.subtotalCredits} credits)`);
    doc.text(`Credits applied: ${invoice.creditsApplied} credits (${invoice.creditsAppliedUsd} USD)`);
    doc.font('Helvetica-Bold').text(`Total due: ${invoice.totalDueUsd} USD (${invoice.totalDueCredits} credits)`);
    if (invoice.payment) doc.font('Helvetica').text(`Paid via ${invoice.payment.provider}, reference ${invoice.payment.reference}${invoice.paidAt ? ` on ${invoice.paidAt}` : ''}`);
    doc.end();
  });
}
