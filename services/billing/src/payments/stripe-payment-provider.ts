/**
 * The Stripe adapter of the payment provider port, on the official `stripe`
 * library: a Checkout session for "Add Credits", a customer-portal session for
 * "Manage Subscription", and webhook verification with the library's signature
 * check. The secret key and the webhook secret come from the environment and
 * never leave this class: not in events, answers or logs.
 */
import Stripe from 'stripe';
import { dec } from '@steward/billing';
import type { CheckoutRequest, CheckoutSession, PaymentProvider } from '@steward/billing';

export interface StripeConfig {
  readonly secretKey: string;
  readonly webhookSecret: string;
  /** Where Checkout sends the buyer back (the console's billing page). */
  readonly successUrl: string;
  readonly cancelUrl: string;
  /** Another API base (a local fake in tests); default Stripe's. */
  readonly apiBaseUrl?: string;
}

export interface PortalSession {
  readonly url: string;
}

/** STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET set: Stripe; neither: undefined (the manual provider); one alone: an error. */
export function stripeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StripeConfig | undefined {
  const secretKey = env.STRIPE_SECRET_KEY?.trim() ?? '';
  const webhookSecret = env.STRIPE_WEBHOOK_SECRET?.trim() ?? '';
  if (!secretKey && !webhookSecret) return undefined;
  if (!secretKey || !webhookSecret) throw new Error('Stripe needs both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (or neither, for the manual provider)');
  const consoleUrl = env.STEWARD_CONSOLE_URL?.trim() || 'http://127.0.0.1:8080';
  return {
    secretKey,
    webhookSecret,
    successUrl: env.STRIPE_CHECKOUT_SUCCESS_URL?.trim() || `${consoleUrl}/billing?checkout=success`,
    cancelUrl: env.STRIPE_CHECKOUT_CANCEL_URL?.trim() || `${consoleUrl}/billing?checkout=cancelled`,
    ...(env.STRIPE_API_BASE_URL?.trim() ? { apiBaseUrl: env.STRIPE_API_BASE_URL.trim() } : {}),
  };
}

/** Metadata a Checkout session carries back in its webhook: what to grant, to whom. */
export interface CheckoutMetadata {
  readonly organizationId: string;
  readonly credits: string;
}

export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe';
  readonly hasCheckout = true;
  private readonly stripe: Stripe;

  constructor(private readonly config: StripeConfig) {
    const base = config.apiBaseUrl ? new URL(config.apiBaseUrl) : undefined;
    this.stripe = new Stripe(config.secretKey, {
      maxNetworkRetries: 2,
      ...(base ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' } : {}),
    });
  }

  /** A Checkout session for `credits` at `amountUsd` (to the cent); the same idempotency key gives the same session. */
  async createCheckout(request: CheckoutRequest): Promise<CheckoutSession> {
    const cents = dec(request.amountUsd).times(100).toDecimalPlaces(0);
    const metadata: CheckoutMetadata = { organizationId: request.organizationId, credits: request.credits };
    const session = await this.stripe.checkout.sessions.create(
      {
        mode: 'payment',
        client_reference_id: request.organizationId,
        customer_creation: 'always',
        line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: cents.toNumber(), product_data: { name: `${request.credits} Steward credits` } } }],
        metadata: { ...metadata },
        payment_intent_data: { metadata: { ...metadata } },
        success_url: request.successUrl ?? this.config.successUrl,
        cancel_url: request.cancelUrl ?? this.config.cancelUrl,
      },
      { idempotencyKey: `steward-checkout-${request.idempotencyKey}` },
    );
    if (!session.url) throw new Error('Stripe answered a Checkout session without a URL');
    return { provider: this.name, sessionId: session.id, url: session.url };
  }

  /** The customer portal ("Manage Subscription") of the organization's Stripe customer. */
  async createPortalSession(customerId: string, returnUrl: string): Promise<PortalSession> {
    const session = await this.stripe.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl });
    return { url: session.url };
  }

  /** The event, if `signature` (the Stripe-Signature header) signs `payload` (the raw body) with the webhook secret; else throws. */
  verifyWebhook(payload: string, signature: string): Stripe.Event {
    return this.stripe.webhooks.constructEvent(payload, signature, this.config.webhookSecret);
  }

  get successUrl(): string {
    return this.config.successUrl;
  }
}
