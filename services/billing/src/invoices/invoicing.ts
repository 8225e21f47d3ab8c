/**
 * Invoices and payments in the billing process: the close job (BullMQ), the
 * payment provider (Stripe when configured, else manual) and the payment
 * commands' NATS handler. main.ts starts it beside the account's parts.
 *
 * Environment: REDIS_URL, BILLING_REDIS_PREFIX (else GATEWAY_REDIS_PREFIX,
 * else `steward:`), BILLING_INVOICE_GRACE_DAYS (3), BILLING_INVOICE_DUE_DAYS
 * (14), BILLING_CLOSE_EVERY_MS (900000), STRIPE_SECRET_KEY and
 * STRIPE_WEBHOOK_SECRET (both or neither), STRIPE_CHECKOUT_SUCCESS_URL,
 * STRIPE_CHECKOUT_CANCEL_URL, STEWARD_CONSOLE_URL, STRIPE_API_BASE_URL (tests).
 */
import type { Provider, Type } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { manualPaymentProvider, type PlanCatalogue } from '@steward/billing';
import type { EventStore } from '@steward/event-store';
import type { NatsNames } from '@steward/messaging';
import type { Logger } from '@steward/observability';
import type { AccountStreams } from '../accounts/account-streams';
import type { BillingAuthorizer } from '../accounts/billing-access';
import type { BillingCommandRunner } from '../accounts/billing-command.runner';
import { PaymentCommands } from '../payments/payment-commands';
import { paymentHandler } from '../payments/payment.handler';
import { stripeConfigFromEnv } from '../payments/stripe-config';
import { StripePaymentProvider } from '../payments/stripe-payment-provider';
import { StripeWebhookProcessor, type GrantPurchasedCredits } from '../payments/stripe-webhook.processor';
import { DEFAULT_CLOSE_EVERY_MS, InvoiceCloseJob } from './invoice-close.job';
import { DEFAULT_DUE_DAYS, DEFAULT_GRACE_DAYS, InvoiceCloser } from './invoice-closer';
import { InvoiceCommandRunner } from './invoice-command.runner';

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const text = env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number of at least ${min}`);
  return value;
}

export interface Invoicing {
  readonly controllers: Array<Type<unknown>>;
  readonly providers: Provider[];
  readonly paymentProvider: string;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The grant a paid Checkout session makes: the account's own GrantCredits, kind purchase, by the Stripe webhook. */
export function purchaseGrant(runner: BillingCommandRunner): GrantPurchasedCredits {
  return async (grant) => {
    await runner.decideOn(
      grant.organizationId,
      { commandId: grant.commandId, type: 'GrantCredits', actor: { type: 'service', id: 'stripe-webhook' }, organizationId: grant.organizationId, issuedAt: grant.at, payload: {} },
      { type: 'GrantCredits', grantId: grant.grantId, kind: 'purchase', amount: grant.credits, reason: grant.reason },
    );
  };
}

export function invoicing(deps: {
  readonly env: NodeJS.ProcessEnv;
  readonly redisUrl: string;
  readonly store: EventStore;
  readonly db: Kysely<unknown>;
  readonly names: NatsNames;
  readonly catalogue: PlanCatalogue;
  readonly logger: Logger;
  readonly accounts: AccountStreams;
  readonly runner: BillingCommandRunner;
  readonly authorize: BillingAuthorizer;
}): Invoicing {
  const { env } = deps;
  const invoices = new InvoiceCommandRunner({ store: deps.store });
  const closer = new InvoiceCloser({
    store: deps.store,
    db: deps.db,
    runner: invoices,
    catalogue: deps.catalogue,
    logger: deps.logger,
    graceDays: whole(env, 'BILLING_INVOICE_GRACE_DAYS', DEFAULT_GRACE_DAYS, 0),
    dueDays: whole(env, 'BILLING_INVOICE_DUE_DAYS', DEFAULT_DUE_DAYS, 0),
  });
  const redisPrefix = env.BILLING_REDIS_PREFIX || env.GATEWAY_REDIS_PREFIX || 'steward:';
  const job = new InvoiceCloseJob({
    connection: { url: deps.redisUrl, maxRetriesPerRequest: null },
    prefix: `${redisPrefix}bull`,
    closer,
    logger: deps.logger,
    everyMs: whole(env, 'BILLING_CLOSE_EVERY_MS', DEFAULT_CLOSE_EVERY_MS, 1000),
  });
  const stripeConfig = stripeConfigFromEnv(env);
  // the stripe library loads only where Stripe is configured, and not on the way to the reactors' start
  const stripe = stripeConfig
    ? StripePaymentProvider.create(stripeConfig).then((provider) => ({
        provider,
        webhooks: new StripeWebhookProcessor({ provider, store: deps.store, invoices, grant: purchaseGrant(deps.runner), logger: deps.logger }),
      }))
    : undefined;
  const payments = new PaymentCommands({
    store: deps.store,
    db: deps.db,
    invoices,
    authorize: deps.authorize,
    accounts: deps.accounts,
    catalogue: deps.catalogue,
    stripe,
    fallbackProvider: manualPaymentProvider,
  });
  return {
    controllers: [paymentHandler(deps.names)],
    providers: [{ provide: PaymentCommands, useValue: payments }],
    paymentProvider: stripe ? 'stripe' : 'manual',
    start: () => job.start(),
    close: () => job.close(),
  };
}
