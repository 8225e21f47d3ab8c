/**
 * The Stripe adapter of the payment provider port, on the official `stripe`
 * library: a Checkout session for "Add Credits", a customer-portal session for
 * "Manage Subscription", and webhook verification with the library's signature
 * check. The secret key and the webhook secret come from the environment and
 * never leave this class: not in events, answers or logs.
 */
import { dec } from '@steward/billing';
import type { CheckoutRequest, CheckoutSession, PaymentProvider } from '@steward/billing';
import type { StripeConfig } from './stripe-config';

export { stripeConfigFromEnv, type StripeConfig } from './stripe-config';

/** The library, loaded on first use: the manual provider never pays for it. */
async function loadStripe() {
  return (await import('stripe')).default;
}
type StripeClass = Awaited<ReturnType<typeof loadStripe>>;
/** A verified Stripe event, as the loaded library types it. */
export type StripeEvent = ReturnType<InstanceType<StripeClass>['webhooks']['constructEvent']>;

export interface PortalSession {
  readonly url: string;
}

/** Metadata a Checkout session carries back in its webhook: what to grant, to whom. */
export interface CheckoutMetadata {
  readonly organizationId: string;
  readonly credits: string;
}

export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe';
  readonly hasCheckout = true;
  private readonly stripe: InstanceType<StripeClass>;

  /** Loads the stripe library (only where Stripe is configured) and makes the provider. */
  static async create(config: StripeConfig): Promise<StripePaymentProvider> {
    return new StripePaymentProvider(config, await loadStripe());
  }

  constructor(
    private readonly config: StripeConfig,
    StripeClient: StripeClass,
  ) {
    const base = config.apiBaseUrl ? new URL(config.apiBaseUrl) : undefined;
    this.stripe = new StripeClient(config.secretKey, {
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
  verifyWebhook(payload: string, signature: string): StripeEvent {
    return this.stripe.webhooks.constructEvent(payload, signature, this.config.webhookSecret);
  }

  get successUrl(): string {
    return this.config.successUrl;
  }
}
