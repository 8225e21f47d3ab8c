/**
 * The payment provider port. `manual` (the default) has no checkout: an owner
 * or billing member's POST …/billing/credits grants at once. A provider with a
 * checkout (Stripe) answers that POST with a URL instead, and grants once the
 * payment is confirmed (its webhook).
 */
export interface CheckoutRequest {
  readonly organizationId: string;
  /** Credits bought, exact decimal text. */
  readonly credits: string;
  /** What they cost, USD exact decimal text (credits / the plan's credits per USD, to the cent). */
  readonly amountUsd: string;
  /** The caller's idempotency key: the same key gives the same session. */
  readonly idempotencyKey: string;
  /** The person buying. */
  readonly requestedBy: string;
  readonly successUrl?: string;
  readonly cancelUrl?: string;
}

export interface CheckoutSession {
  readonly provider: string;
  readonly sessionId: string;
  readonly url: string;
}

export interface PaymentProvider {
  /** `manual`, `stripe`, …: named on the statement and in answers. */
  readonly name: string;
  /** False for the manual provider: credits are granted directly. */
  readonly hasCheckout: boolean;
  createCheckout(request: CheckoutRequest): Promise<CheckoutSession>;
}

/** The default provider: no checkout, grants are recorded directly by an owner or billing member. */
export const manualPaymentProvider: PaymentProvider = Object.freeze({
  name: 'manual',
  hasCheckout: false,
  createCheckout(): Promise<CheckoutSession> {
    return Promise.reject(new Error('the manual payment provider has no checkout: grant credits directly'));
  },
});
