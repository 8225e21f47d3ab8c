/**
 * Stripe's webhooks, verified and applied once. A delivery whose signature
 * does not verify is refused (400) before anything is read or written. A
 * verified event is applied through idempotent commands whose ids derive from
 * Stripe's own ids (a Checkout session grants `stripe-<session id>` once,
 * whichever of its events arrives and however often), then recorded in its
 * own stream keyed by the Stripe event id: a redelivery finds it and changes
 * nothing. The record comes after the effect, so a crash between them leaves
 * a redelivery to finish the job, never a claimed id with nothing done.
 */
import { dec } from '@steward/billing';
import { BillingPeriodSchema, InvoiceStreams, PaymentProviderEventReceived, TeamIdSchema, eventIdFor, type CommandEnvelope } from '@steward/contracts';
import { EventStoreError, EventStoreErrorCode, type EventStore } from '@steward/event-store';
import type { Logger } from '@steward/observability';
import { invoiceIdFor } from '../invoices/invoice-closer';
import type { InvoiceCommandRunner } from '../invoices/invoice-command.runner';
import { InvoiceError, InvoiceErrorCode } from '../invoices/invoice.error';
import type { StripeEvent, StripePaymentProvider } from './stripe-payment-provider';

/** What a paid Checkout session grants: the billing account's GrantCredits, kind `purchase`. */
export interface PurchaseGrant {
  readonly organizationId: string;
  readonly grantId: string;
  readonly credits: string;
  readonly reason: string;
  /** Derived from the Checkout session: a second delivery is the same command. */
  readonly commandId: string;
  readonly at: string;
}

export type GrantPurchasedCredits = (grant: PurchaseGrant) => Promise<void>;

export interface WebhookOutcome {
  readonly eventId: string;
  readonly type: string;
  readonly duplicate: boolean;
  readonly outcome: 'credits_granted' | 'invoice_paid' | 'invoice_payment_failed' | 'ignored';
}

const CREDITS = /^(0|[1-9]\d{0,14})(\.\d{1,12})?$/;

export class StripeWebhookProcessor {
  constructor(
    private readonly deps: {
      readonly provider: StripePaymentProvider;
      readonly store: EventStore;
      readonly invoices: InvoiceCommandRunner;
      readonly grant: GrantPurchasedCredits;
      readonly logger: Logger;
      readonly now?: () => Date;
    },
  ) {}

  async handle(payload: string, signature: string | undefined): Promise<WebhookOutcome> {
    let event: StripeEvent;
    try {
      if (!signature) throw new Error('missing');
      event = this.deps.provider.verifyWebhook(payload, signature);
    } catch {
      // the library's message may quote the header; the answer names the field only
      throw new InvoiceError(InvoiceErrorCode.BadSignature, 'the Stripe-Signature header does not verify this payload', 'header.stripe-signature');
    }
    const streamId = InvoiceStreams.providerEvent('stripe', event.id);
    if ((await this.deps.store.readStream(streamId, { maxCount: 1 })).length > 0) return { eventId: event.id, type: event.type, duplicate: true, outcome: 'ignored' };
    const at = (this.deps.now?.() ?? new Date()).toISOString();
    const { outcome, organizationId, customerId } = await this.apply(event, at);
    try {
      await this.deps.store.append(
        streamId,
        [
          {
            eventId: eventIdFor(`stripe-event-${event.id}`, 0),
            type: PaymentProviderEventReceived.type,
            version: PaymentProviderEventReceived.version,
            data: PaymentProviderEventReceived.schema.parse({ provider: 'stripe', providerEventId: event.id, providerEventType: event.type, organizationId, customerId, outcome, receivedAt: at }),
            metadata: { correlationId: event.id, actor: { type: 'service', id: 'stripe-webhook' }, ...(organizationId ? { organizationId } : {}), occurredAt: at },
          },
        ],
        { expectedRevision: 'no_stream' },
      );
    } catch (error) {
      // a concurrent delivery of the same event recorded it first: its effects were the same commands
      if (!EventStoreError.isConflict(error) && !(error instanceof EventStoreError && error.code === EventStoreErrorCode.IdempotencyViolation)) throw error;
      return { eventId: event.id, type: event.type, duplicate: true, outcome };
    }
    this.deps.logger.info({ stripeEventId: event.id, type: event.type, outcome, organizationId }, 'stripe webhook applied');
    return { eventId: event.id, type: event.type, duplicate: false, outcome };
  }

  private async apply(event: StripeEvent, at: string): Promise<{ outcome: WebhookOutcome['outcome']; organizationId: string | null; customerId: string | null }> {
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded': {
        const session = event.data.object;
        const customerId = typeof session.customer === 'string' ? session.customer : (session.customer?.id ?? null);
        const organizationId = TeamIdSchema.safeParse(session.metadata?.organizationId ?? session.client_reference_id).data ?? null;
        const credits = session.metadata?.credits;
        // an asynchronous payment method completes the session unpaid: its own success event grants
        if (session.payment_status !== 'paid' || !organizationId || !credits || !CREDITS.test(credits) || dec(credits).isZero()) {
          return { outcome: 'ignored', organizationId, customerId };
        }
        await this.deps.grant({
          organizationId,
          grantId: `stripe-${session.id}`,
          credits,
          reason: `Stripe Checkout ${session.id}`,
          commandId: `stripe-checkout-${session.id}`,
          at,
        });
        return { outcome: 'credits_granted', organizationId, customerId };
      }
      case 'invoice.paid':
      case 'invoice.payment_failed': {
        const invoice = event.data.object;
        const customerId = typeof invoice.customer === 'string' ? invoice.customer : (invoice.customer?.id ?? null);
        const organizationId = TeamIdSchema.safeParse(invoice.metadata?.organizationId).data ?? null;
        const period = BillingPeriodSchema.safeParse(invoice.metadata?.period).data;
        const invoiceId = invoice.metadata?.invoiceId;
        // a Stripe invoice Steward did not ask for (a subscription's own): nothing of Steward's to settle
        if (!organizationId || !period || !invoiceId || invoiceIdFor(organizationId, period) !== invoiceId || !invoice.id) return { outcome: 'ignored', organizationId, customerId };
        const reference = invoice.id;
        const envelope = (commandId: string, type: string): CommandEnvelope => ({ commandId, type, actor: { type: 'service', id: 'stripe-webhook' }, organizationId, issuedAt: at, payload: {} });
        const target = { organizationId, invoiceId, period };
        if (event.type === 'invoice.paid') {
          const amountUsd = dec(invoice.amount_paid).dividedBy(100).toFixed(2);
          await this.deps.invoices.execute(envelope(`stripe-invoice-paid-${reference}`, 'RecordInvoicePayment'), organizationId, period, () => ({
            type: 'RecordInvoicePayment',
            ...target,
            provider: 'stripe',
            reference,
            amountUsd,
            recordedBy: 'stripe',
            at,
          }));
          return { outcome: 'invoice_paid', organizationId, customerId };
        }
        await this.deps.invoices.execute(envelope(`stripe-invoice-failed-${event.id}`, 'RecordInvoicePaymentFailure'), organizationId, period, () => ({
          type: 'RecordInvoicePaymentFailure',
          ...target,
          provider: 'stripe',
          reference,
          reason: invoice.last_finalization_error?.message?.slice(0, 500) || 'payment failed at Stripe',
          recordedBy: 'stripe',
          at,
        }));
        return { outcome: 'invoice_payment_failed', organizationId, customerId };
      }
      default:
        return { outcome: 'ignored', organizationId: null, customerId: null };
    }
  }
}
