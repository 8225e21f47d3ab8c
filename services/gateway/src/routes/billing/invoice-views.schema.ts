import { z } from 'zod';
import { InvoiceLineSchema } from '@steward/contracts';
import { pageSchema } from '../route-params';

const Decimal = z.string().meta({ description: 'exact decimal as text' });

export const InvoiceSummarySchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    period: z.string().meta({ description: 'calendar month YYYY-MM in the billing time zone' }),
    status: z.enum(['draft', 'issued', 'paid', 'void']),
    number: z.string().nullable().meta({ description: 'null while a draft; numbered without gaps per organization' }),
    timeZone: z.string(),
    periodStart: z.string(),
    periodEnd: z.string(),
    graceEndsAt: z.string().meta({ description: 'until then late usage lands on the draft' }),
    issuedAt: z.string().nullable(),
    dueAt: z.string().nullable(),
    paidAt: z.string().nullable(),
    voidedAt: z.string().nullable(),
    voidReason: z.string().nullable().meta({ description: 'why it was voided' }),
    creditsPerUsd: Decimal,
    subtotalUsd: Decimal,
    subtotalCredits: Decimal,
    creditsApplied: Decimal,
    creditsAppliedUsd: Decimal,
    totalDueUsd: Decimal,
    totalDueCredits: Decimal,
    payment: z.object({ provider: z.string(), reference: z.string() }).nullable(),
    lastPaymentFailure: z.string().nullable(),
  })
  ;

export const InvoiceViewSchema = InvoiceSummarySchema.extend({ lines: z.array(InvoiceLineSchema) });

export const InvoicePageSchema = pageSchema(InvoiceSummarySchema);

export const ProviderSessionSchema = z.object({ provider: z.string(), url: z.string() });

export const StripeWebhookReceiptSchema = z.object({ received: z.literal(true), duplicate: z.boolean() });
