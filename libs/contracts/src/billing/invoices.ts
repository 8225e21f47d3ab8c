import { z } from 'zod';
import { InstantSchema, text } from '../fields';
import { EventRegistry, defineEvent, type DefinedEvent } from '../registry';
import { TeamIdSchema, TimeZoneSchema } from '../team/team-fields';
import { DecimalStringSchema } from '../usage/usage-fields';
import { BillingPeriodSchema } from './billing-fields';

/*
 * Invoices, version 1. One invoice per organization per billing period (a
 * calendar month in the account's billing time zone): its stream id is derived
 * from the organization and the period label, so a second "open" for the same
 * period lands on the same stream and changes nothing. Invoice numbers come
 * from the organization's numbering stream, appended in the same atomic unit as
 * InvoiceIssued: numbers without gaps, one per issued invoice.
 */

export const InvoiceIdSchema = text({ min: 1, max: 100 }).regex(/^[A-Za-z0-9_-]+$/, 'ids use letters, digits, "_" and "-"');

/** A whole number of tokens or calls, as text (sums over a month outgrow what a JSON number holds exactly). */
export const QuantitySchema = z.string().max(40).regex(/^-?(0|[1-9]\d*)$/, 'a whole number as text');

export const INVOICE_LINE_KINDS = ['plan_fee', 'proration', 'usage', 'adjustment', 'credits_applied'] as const;
export const InvoiceLineKindSchema = z.enum(INVOICE_LINE_KINDS);
export type InvoiceLineKind = z.infer<typeof InvoiceLineKindSchema>;

export const INVOICE_TOKEN_TYPES = ['input', 'cacheRead', 'cacheCreation', 'output', 'reasoningOutput'] as const;

/** One priced quantity of a usage line: a token type, how many, at which unit price. */
export const InvoiceLineItemSchema = z
  .object({
    tokenType: z.enum(INVOICE_TOKEN_TYPES),
    quantity: QuantitySchema,
    /** USD per token; null when the model had no price (amount 0). */
    unitPriceUsd: DecimalStringSchema.nullable(),
    amountUsd: DecimalStringSchema,
  })
  .strict();
export type InvoiceLineItem = z.infer<typeof InvoiceLineItemSchema>;

/**
 * A line of an invoice. Usage and adjustment lines are per workspace × provider
 * × model × unit prices (`priceKey`); an adjustment line names the issued period
 * whose usage changed after its invoice (`adjustsPeriod`) and carries the
 * difference. Amounts are signed exact decimals (credits applied are negative).
 */
export const InvoiceLineSchema = z
  .object({
    kind: InvoiceLineKindSchema,
    description: text({ min: 1, max: 300 }),
    workspaceId: TeamIdSchema.optional(),
    provider: text({ min: 1, max: 200 }).optional(),
    model: text({ min: 1, max: 200 }).optional(),
    priceKey: text({ min: 1, max: 400 }).optional(),
    adjustsPeriod: BillingPeriodSchema.optional(),
    calls: QuantitySchema.optional(),
    items: z.array(InvoiceLineItemSchema).max(5).optional(),
    /** Plan lines: the plan and the span of the period it covers. */
    planId: text({ min: 1, max: 100 }).optional(),
    from: InstantSchema.optional(),
    to: InstantSchema.optional(),
    amountUsd: DecimalStringSchema,
    amountCredits: DecimalStringSchema,
  })
  .strict();
export type InvoiceLine = z.infer<typeof InvoiceLineSchema>;

export const InvoiceTotalsSchema = z
  .object({
    /** Σ of every line but credits applied. */
    subtotalUsd: DecimalStringSchema,
    subtotalCredits: DecimalStringSchema,
    /** Credits drawn from the ledger for this period's usage (positive). */
    creditsApplied: DecimalStringSchema,
    creditsAppliedUsd: DecimalStringSchema,
    totalDueUsd: DecimalStringSchema,
    totalDueCredits: DecimalStringSchema,
  })
  .strict();
export type InvoiceTotals = z.infer<typeof InvoiceTotalsSchema>;

/** What the invoice says: its lines and totals at the rate of the period. */
const content = {
  creditsPerUsd: DecimalStringSchema,
  lines: z.array(InvoiceLineSchema).max(10_000),
  totals: InvoiceTotalsSchema,
  /**
   * The credit ledger up to which consumption was applied (the ledger's entry count for the
   * organization when the lines were computed): the next invoice applies only what came after.
   */
  creditsAppliedThrough: z.number().int().min(0),
};

const scoped = { organizationId: TeamIdSchema, invoiceId: InvoiceIdSchema, period: BillingPeriodSchema };

/** The period ended: its draft exists, refreshable until `graceEndsAt`. */
export const InvoiceDraftOpened = defineEvent({
  type: 'InvoiceDraftOpened',
  version: 1,
  context: 'billing',
  schema: z
    .object({
      ...scoped,
      /** The billing time zone the period was cut in (part of the period's identity). */
      timeZone: TimeZoneSchema,
      periodStart: InstantSchema,
      periodEnd: InstantSchema,
      graceEndsAt: InstantSchema,
      ...content,
      openedAt: InstantSchema,
    })
    .strict(),
});

/** Late usage (or a correction) changed the draft during the grace period: its new lines. */
export const InvoiceDraftRefreshed = defineEvent({
  type: 'InvoiceDraftRefreshed',
  version: 1,
  context: 'billing',
  schema: z.object({ ...scoped, ...content, refreshedAt: InstantSchema }).strict(),
});

/** The number stream of an organization: `number` goes to the invoice of `period`. */
export const InvoiceNumberAssigned = defineEvent({
  type: 'InvoiceNumberAssigned',
  version: 1,
  context: 'billing',
  schema: z
    .object({
      ...scoped,
      sequence: z.number().int().min(1),
      number: text({ min: 1, max: 100 }),
      /** The invoice's credits applied end at this ledger entry: the next invoice starts there. */
      creditsAppliedThrough: z.number().int().min(0),
    })
    .strict(),
});

/** The invoice is final and immutable: these lines, this number. Later changes go on a later invoice. */
export const InvoiceIssued = defineEvent({
  type: 'InvoiceIssued',
  version: 1,
  context: 'billing',
  schema: z
    .object({
      ...scoped,
      number: text({ min: 1, max: 100 }),
      sequence: z.number().int().min(1),
      timeZone: TimeZoneSchema,
      periodStart: InstantSchema,
      periodEnd: InstantSchema,
      ...content,
      issuedAt: InstantSchema,
      dueAt: InstantSchema,
    })
    .strict(),
});

export const PAYMENT_PROVIDERS = ['manual', 'stripe'] as const;
export const PaymentProviderIdSchema = z.enum(PAYMENT_PROVIDERS);
export type PaymentProviderId = z.infer<typeof PaymentProviderIdSchema>;

const payment = {
  provider: PaymentProviderIdSchema,
  /** The provider's reference (a Stripe invoice or payment id, a bank transfer reference); never a secret. */
  reference: text({ min: 1, max: 200, singleLine: true }),
  recordedBy: text({ min: 1, max: 200 }),
};

export const InvoicePaid = defineEvent({
  type: 'InvoicePaid',
  version: 1,
  context: 'billing',
  schema: z.object({ ...scoped, ...payment, amountUsd: DecimalStringSchema, paidAt: InstantSchema }).strict(),
});

/** A payment attempt failed at the provider; the invoice stays open (payable or voidable). */
export const InvoicePaymentFailed = defineEvent({
  type: 'InvoicePaymentFailed',
  version: 1,
  context: 'billing',
  schema: z.object({ ...scoped, ...payment, reason: text({ min: 1, max: 500 }), failedAt: InstantSchema }).strict(),
});

/**
 * The invoice no longer asks for payment. Voiding changes no credit balance: the credits it
 * applied were consumed by usage, which happened (Lago #3703 re-credited a wallet on a void).
 */
export const InvoiceVoided = defineEvent({
  type: 'InvoiceVoided',
  version: 1,
  context: 'billing',
  schema: z.object({ ...scoped, reason: text({ min: 1, max: 500 }), voidedBy: text({ min: 1, max: 200 }), voidedAt: InstantSchema }).strict(),
});

export const INVOICE_EVENTS = [InvoiceDraftOpened, InvoiceDraftRefreshed, InvoiceNumberAssigned, InvoiceIssued, InvoicePaid, InvoicePaymentFailed, InvoiceVoided] as const;

export type InvoiceEvent = DefinedEvent<(typeof INVOICE_EVENTS)[number]>;
export type InvoiceEventType = InvoiceEvent['type'];
export type InvoiceEventOf<T extends InvoiceEventType> = Extract<InvoiceEvent, { type: T }>;

/**
 * A payment provider's webhook event, recorded once per provider event id in its own stream
 * (`InvoiceStreams.providerEvent`): the durable dedup of redeliveries, written in the same
 * atomic unit as the effect (a grant, a payment) so that neither happens without the other.
 */
export const PaymentProviderEventReceived = defineEvent({
  type: 'PaymentProviderEventReceived',
  version: 1,
  context: 'billing',
  schema: z
    .object({
      provider: PaymentProviderIdSchema,
      providerEventId: text({ min: 1, max: 200, singleLine: true }),
      providerEventType: text({ min: 1, max: 200, singleLine: true }),
      organizationId: TeamIdSchema.nullable(),
      /** The provider's customer of the organization (Stripe `cus_…`): where "Manage Subscription" leads. */
      customerId: text({ min: 1, max: 200, singleLine: true }).nullable(),
      /** What Steward did with it. */
      outcome: z.enum(['credits_granted', 'invoice_paid', 'invoice_payment_failed', 'ignored']),
      receivedAt: InstantSchema,
    })
    .strict(),
});

export const invoiceEventRegistry = new EventRegistry().register(...INVOICE_EVENTS, PaymentProviderEventReceived);

export const InvoiceStreams = {
  /** The invoice of one organization and period: one stream, so one invoice. */
  invoice: (organizationId: string, period: string): string => `billing-invoice-${organizationId}-${period}`,
  /** The organization's invoice numbers. */
  numbering: (organizationId: string): string => `billing-invoice-numbers-${organizationId}`,
  /** One payment provider event (its id is the provider's). */
  providerEvent: (provider: string, providerEventId: string): string => `billing-provider-event-${provider}-${providerEventId}`,
} as const;

/** The stream prefixes a projection of invoices and payment provider events reads. */
export const INVOICE_STREAM_PREFIXES = ['billing-invoice-', 'billing-provider-event-'] as const;

/**
 * What the billing service answers when it refuses an invoice command. The codes start with
 * `BILLING_INVOICE_` so they never meet another context's codes in the gateway's table.
 */
export enum InvoiceErrorCode {
  InvalidCommand = 'BILLING_INVOICE_INVALID_COMMAND',
  Forbidden = 'BILLING_INVOICE_FORBIDDEN',
  NotFound = 'BILLING_INVOICE_NOT_FOUND',
  /** The period has not ended yet in its billing time zone. */
  PeriodNotEnded = 'BILLING_INVOICE_PERIOD_NOT_ENDED',
  /** The grace period is still running: the draft may still change. */
  GraceNotOver = 'BILLING_INVOICE_GRACE_NOT_OVER',
  /** A draft is not payable; an issued invoice does not change. */
  NotIssued = 'BILLING_INVOICE_NOT_ISSUED',
  AlreadyPaid = 'BILLING_INVOICE_ALREADY_PAID',
  Voided = 'BILLING_INVOICE_VOIDED',
  /** The payment does not match the amount due. */
  AmountMismatch = 'BILLING_INVOICE_AMOUNT_MISMATCH',
  /** The invoice applies ledger entries another invoice applied, or skips some. */
  CreditsRangeMismatch = 'BILLING_INVOICE_CREDITS_RANGE_MISMATCH',
  /** A later period is issued already: periods issue in order. */
  OutOfOrder = 'BILLING_INVOICE_OUT_OF_ORDER',
  /** The webhook's signature does not verify. */
  BadSignature = 'BILLING_INVOICE_BAD_SIGNATURE',
  /** The payment provider this needs is not configured. */
  ProviderNotConfigured = 'BILLING_INVOICE_PROVIDER_NOT_CONFIGURED',
  Conflict = 'BILLING_INVOICE_CONFLICT',
  Unavailable = 'BILLING_INVOICE_UNAVAILABLE',
}

export const INVOICE_ERROR_HTTP_STATUS: Readonly<Record<InvoiceErrorCode, number>> = {
  [InvoiceErrorCode.InvalidCommand]: 400,
  [InvoiceErrorCode.AmountMismatch]: 400,
  [InvoiceErrorCode.BadSignature]: 400,
  [InvoiceErrorCode.Forbidden]: 403,
  [InvoiceErrorCode.NotFound]: 404,
  [InvoiceErrorCode.PeriodNotEnded]: 409,
  [InvoiceErrorCode.GraceNotOver]: 409,
  [InvoiceErrorCode.NotIssued]: 409,
  [InvoiceErrorCode.AlreadyPaid]: 409,
  [InvoiceErrorCode.Voided]: 409,
  [InvoiceErrorCode.CreditsRangeMismatch]: 409,
  [InvoiceErrorCode.OutOfOrder]: 409,
  [InvoiceErrorCode.ProviderNotConfigured]: 409,
  [InvoiceErrorCode.Conflict]: 409,
  [InvoiceErrorCode.Unavailable]: 503,
};

// ---------------------------------------------------------------- commands (`<prefix>cmd.billing.<Type>`)

/** An admin's record of a payment received outside Steward (the manual provider): the amount due, exactly. */
export const RecordInvoicePaymentPayload = z
  .object({
    organizationId: TeamIdSchema,
    invoiceId: InvoiceIdSchema,
    period: BillingPeriodSchema,
    // a refinement, not a pattern: the API documents a string and the problem names the field
    amountUsd: z
      .string()
      .min(1)
      .max(40)
      .refine((value) => /^(0|[1-9]\d{0,14})(\.\d{1,2})?$/.test(value), 'an amount in USD with at most 2 decimal places, e.g. "126.42"'),
    /** The payment's reference (a bank transfer id, a cheque number). */
    reference: text({ min: 1, max: 200, singleLine: true }),
  })
  .strict();

/**
 * An owner or billing member voids an issued, unpaid invoice: it no longer asks for payment. No credit comes
 * back (InvoiceVoided). A paid invoice is refunded, not voided (409); a void invoice voided again changes nothing.
 */
export const VoidInvoicePayload = z
  .object({
    organizationId: TeamIdSchema,
    invoiceId: InvoiceIdSchema,
    period: BillingPeriodSchema,
    reason: text({ min: 1, max: 500 }),
  })
  .strict();

/** A Stripe webhook delivery as the gateway received it: the raw body and its Stripe-Signature header. */
export const HandleStripeWebhookPayload = z
  .object({ payload: z.string().max(1_000_000), signature: z.string().max(2000).optional() })
  .strict();

/** "Manage Subscription": a customer-portal session of the organization's Stripe customer. */
export const CreatePortalSessionPayload = z.object({ organizationId: TeamIdSchema, returnUrl: z.url().max(2000).optional() }).strict();

/** "Add Credits" with a checkout: a Checkout session for `credits` at the plan's rate. */
export const CreateCreditsCheckoutPayload = z
  .object({
    organizationId: TeamIdSchema,
    credits: z.string().max(40).regex(/^[1-9]\d{0,14}(\.\d{1,12})?$|^0\.\d{0,11}[1-9]$/, 'a positive amount of credits'),
    /** The caller's idempotency key: the same key gives the same session. */
    idempotencyKey: text({ min: 1, max: 400 }),
    successUrl: z.url().max(2000).optional(),
    cancelUrl: z.url().max(2000).optional(),
  })
  .strict();

export const InvoiceCommandPayloads = {
  RecordInvoicePayment: RecordInvoicePaymentPayload,
  VoidInvoice: VoidInvoicePayload,
  HandleStripeWebhook: HandleStripeWebhookPayload,
  CreatePortalSession: CreatePortalSessionPayload,
  CreateCreditsCheckout: CreateCreditsCheckoutPayload,
} as const;

export type InvoiceCommandType = keyof typeof InvoiceCommandPayloads;
export type InvoiceCommandPayload<T extends InvoiceCommandType> = z.output<(typeof InvoiceCommandPayloads)[T]>;

/** What the webhook command answers (never the payload). */
export interface StripeWebhookAnswer {
  readonly ok: true;
  readonly eventId: string;
  readonly type: string;
  readonly duplicate: boolean;
  readonly outcome: string;
}

/** A payment provider's hosted page: Checkout or the customer portal. */
export interface ProviderSessionAnswer {
  readonly ok: true;
  readonly provider: string;
  readonly url: string;
  readonly sessionId?: string;
}
