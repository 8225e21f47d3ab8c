/**
 * The payment commands of the billing service: an admin's record of a
 * payment (the manual provider), Stripe's webhooks, the customer portal
 * ("Manage Subscription") and Checkout ("Add Credits"). Refusals are
 * InvoiceErrors; the account authorizer's BillingErrors are taken as theirs.
 */
import { CommandRunner } from '@steward/commands';
import { InvoiceReadRepository, planOrDefault, usdCents, usdForCredits, type PaymentProvider, type PlanCatalogue } from '@steward/billing';
import {
  BillingErrorCode,
  InvoiceCommandPayloads,
  invoiceEventRegistry,
  type CommandAnswer,
  type CommandEnvelope,
  type InvoiceCommandPayload,
  type InvoiceCommandType,
  type ProviderSessionAnswer,
  type StripeWebhookAnswer,
} from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import type { Kysely } from 'kysely';
import type { BillingAuthorizer } from '../accounts/billing-access';
import { BillingError } from '../accounts/billing.error';
import type { AccountStreams } from '../accounts/account-streams';
import { invoiceIdFor } from '../invoices/invoice-closer';
import type { InvoiceCommandRunner } from '../invoices/invoice-command.runner';
import { InvoiceError, InvoiceErrorCode } from '../invoices/invoice.error';
import type { StripePaymentProvider } from './stripe-payment-provider';
import type { StripeWebhookProcessor } from './stripe-webhook.processor';

export interface PaymentCommandsOptions {
  readonly store: EventStore;
  readonly db: Kysely<unknown>;
  readonly invoices: InvoiceCommandRunner;
  readonly authorize: BillingAuthorizer;
  readonly accounts: AccountStreams;
  readonly catalogue: PlanCatalogue;
  /** Set when Stripe is configured (else the manual provider: no checkout, no portal, no webhook). */
  readonly stripe?: Promise<{ readonly provider: StripePaymentProvider; readonly webhooks: StripeWebhookProcessor }> | undefined;
  readonly fallbackProvider: PaymentProvider;
}

const ACCOUNT_REFUSALS: Partial<Record<BillingErrorCode, InvoiceErrorCode>> = {
  [BillingErrorCode.NotFound]: InvoiceErrorCode.NotFound,
  [BillingErrorCode.Forbidden]: InvoiceErrorCode.Forbidden,
};

export class PaymentCommands {
  private readonly commands: CommandRunner<InvoiceErrorCode>;
  private readonly reads: InvoiceReadRepository;

  constructor(private readonly options: PaymentCommandsOptions) {
    this.commands = new CommandRunner({
      store: options.store,
      registry: invoiceEventRegistry,
      errors: InvoiceError,
      codes: InvoiceErrorCode,
      maxAttempts: 8,
      refusalOf: (error) => (error instanceof BillingError && ACCOUNT_REFUSALS[error.code] ? new InvoiceError(ACCOUNT_REFUSALS[error.code]!, error.message, error.field) : undefined),
    });
    this.reads = new InvoiceReadRepository({ db: options.db });
  }

  run(type: InvoiceCommandType, raw: unknown): Promise<unknown> {
    return this.commands.handle(type, raw, (envelope) => this.execute(type, envelope));
  }

  async execute(type: InvoiceCommandType, envelope: CommandEnvelope): Promise<CommandAnswer | ((StripeWebhookAnswer | ProviderSessionAnswer) & { events: [] })> {
    switch (type) {
      case 'RecordInvoicePayment': {
        const payload = this.payload('RecordInvoicePayment', envelope);
        await this.options.authorize(envelope, payload.organizationId, 'billing.write');
        // the id names its organization and period: another organization's invoice is not found
        if (invoiceIdFor(payload.organizationId, payload.period) !== payload.invoiceId) throw new InvoiceError(InvoiceErrorCode.NotFound, 'no such invoice');
        return this.options.invoices.execute(envelope, payload.organizationId, payload.period, () => ({
          type: 'RecordInvoicePayment',
          organizationId: payload.organizationId,
          invoiceId: payload.invoiceId,
          period: payload.period,
          provider: 'manual',
          reference: payload.reference,
          amountUsd: payload.amountUsd,
          recordedBy: envelope.actor.id,
          at: envelope.issuedAt,
        }));
      }
      case 'VoidInvoice': {
        const payload = this.payload('VoidInvoice', envelope);
        await this.options.authorize(envelope, payload.organizationId, 'billing.write');
        if (invoiceIdFor(payload.organizationId, payload.period) !== payload.invoiceId) throw new InvoiceError(InvoiceErrorCode.NotFound, 'no such invoice');
        return this.options.invoices.execute(envelope, payload.organizationId, payload.period, () => ({
          type: 'VoidInvoice',
          organizationId: payload.organizationId,
          invoiceId: payload.invoiceId,
          period: payload.period,
          reason: payload.reason,
          voidedBy: envelope.actor.id,
          at: envelope.issuedAt,
        }));
      }
      case 'HandleStripeWebhook': {
        const payload = this.payload('HandleStripeWebhook', envelope);
        const stripe = await this.options.stripe;
        if (!stripe) throw new InvoiceError(InvoiceErrorCode.ProviderNotConfigured, 'Stripe is not configured (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET)');
        const outcome = await stripe.webhooks.handle(payload.payload, payload.signature);
        return { ok: true, ...outcome, events: [] };
      }
      case 'CreatePortalSession': {
        const payload = this.payload('CreatePortalSession', envelope);
        await this.options.authorize(envelope, payload.organizationId, 'billing.write');
        const stripe = await this.options.stripe;
        if (!stripe) throw new InvoiceError(InvoiceErrorCode.ProviderNotConfigured, 'the manual payment provider has no customer portal');
        const customer = await this.reads.customerOf(payload.organizationId, 'stripe');
        if (!customer) throw new InvoiceError(InvoiceErrorCode.NotFound, 'no Stripe customer for this organization yet: buy credits once with Add Credits');
        const session = await stripe.provider.createPortalSession(customer, payload.returnUrl ?? stripe.provider.successUrl);
        return { ok: true, provider: 'stripe', url: session.url, events: [] };
      }
      case 'CreateCreditsCheckout': {
        const payload = this.payload('CreateCreditsCheckout', envelope);
        await this.options.authorize(envelope, payload.organizationId, 'billing.write');
        const provider = (await this.options.stripe)?.provider ?? this.options.fallbackProvider;
        if (!provider.hasCheckout) throw new InvoiceError(InvoiceErrorCode.ProviderNotConfigured, 'the manual payment provider has no checkout: grant credits directly');
        const account = await this.options.accounts.load(payload.organizationId);
        const plan = planOrDefault(this.options.catalogue, account.state.exists ? account.state.planId : this.options.catalogue.defaultPlanId);
        const rate = plan.creditsPerUsd;
        const session = await provider.createCheckout({
          organizationId: payload.organizationId,
          credits: payload.credits,
          amountUsd: usdCents(usdForCredits(payload.credits, rate)),
          idempotencyKey: payload.idempotencyKey,
          requestedBy: envelope.actor.id,
          ...(payload.successUrl ? { successUrl: payload.successUrl } : {}),
          ...(payload.cancelUrl ? { cancelUrl: payload.cancelUrl } : {}),
        });
        return { ok: true, provider: session.provider, url: session.url, sessionId: session.sessionId, events: [] };
      }
      default: {
        const _exhaustive: never = type;
        throw new InvoiceError(InvoiceErrorCode.InvalidCommand, 'unknown command');
      }
    }
  }

  private payload<T extends InvoiceCommandType>(type: T, envelope: CommandEnvelope): InvoiceCommandPayload<T> {
    return this.commands.parsePayload(type, InvoiceCommandPayloads[type], envelope) as InvoiceCommandPayload<T>;
  }
}
