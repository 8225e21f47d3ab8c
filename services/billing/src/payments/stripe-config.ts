/** Stripe's configuration from the environment, without loading the stripe library (the manual provider never does). */

export interface StripeConfig {
  readonly secretKey: string;
  readonly webhookSecret: string;
  /** Where Checkout sends the buyer back (the console's billing page). */
  readonly successUrl: string;
  readonly cancelUrl: string;
  /** Another API base (a local fake in tests); default Stripe's. */
  readonly apiBaseUrl?: string;
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

