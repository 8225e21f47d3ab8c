import { manualPaymentProvider, type PaymentProvider } from '@steward/billing';
import type { CommandSenderDeps } from '../command.sender';
import { InvoiceCommandSender } from './invoice-command.sender';

/**
 * The payment provider "Add Credits" uses, as the gateway sees it. Stripe's keys stay in the billing service:
 * with STEWARD_PAYMENT_PROVIDER=stripe a purchase asks the billing service for a Checkout session
 * (`cmd.billing.CreateCreditsCheckout`); otherwise the manual provider grants at once.
 */
export function checkoutProviderFromEnv(env: NodeJS.ProcessEnv, deps: CommandSenderDeps): PaymentProvider {
  const name = env.STEWARD_PAYMENT_PROVIDER?.trim() || 'manual';
  if (name === 'manual') return manualPaymentProvider;
  if (name !== 'stripe') throw new Error(`STEWARD_PAYMENT_PROVIDER must be manual or stripe, not ${name}`);
  const sender = new InvoiceCommandSender(deps);
  return {
    name: 'stripe',
    hasCheckout: true,
    async createCheckout(request) {
      const answer = await sender.send(
        'CreateCreditsCheckout',
        {
          organizationId: request.organizationId,
          credits: request.credits,
          idempotencyKey: request.idempotencyKey,
          ...(request.successUrl ? { successUrl: request.successUrl } : {}),
          ...(request.cancelUrl ? { cancelUrl: request.cancelUrl } : {}),
        },
        {
          commandId: `checkout-${request.idempotencyKey}`,
          caller: { actor: { type: 'user', id: request.requestedBy }, userId: request.requestedBy, email: undefined, organizationId: request.organizationId },
          organizationId: request.organizationId,
          requestId: request.idempotencyKey,
          issuedAt: new Date().toISOString(),
        },
      );
      return { provider: answer.provider, sessionId: answer.sessionId ?? '', url: answer.url };
    },
  };
}
