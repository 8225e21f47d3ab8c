import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { InvoiceCommandType } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { PaymentCommands } from './payment-commands';

/** Invoice payments and the payment provider over NATS request/reply (`<prefix>cmd.billing.<Type>`): translate and hand over. */
export function paymentHandler(names: NatsNames): Type<unknown> {
  const subject = (type: InvoiceCommandType) => names.commandSubject('billing', type);

  @Controller()
  class PaymentHandler {
    constructor(@Inject(PaymentCommands) private readonly payments: PaymentCommands) {}

    @MessagePattern(subject('RecordInvoicePayment'))
    recordPayment(@Payload() raw: unknown): Promise<unknown> {
      return this.payments.run('RecordInvoicePayment', raw);
    }

    @MessagePattern(subject('VoidInvoice'))
    voidInvoice(@Payload() raw: unknown): Promise<unknown> {
      return this.payments.run('VoidInvoice', raw);
    }

    @MessagePattern(subject('HandleStripeWebhook'))
    stripeWebhook(@Payload() raw: unknown): Promise<unknown> {
      return this.payments.run('HandleStripeWebhook', raw);
    }

    @MessagePattern(subject('CreatePortalSession'))
    portalSession(@Payload() raw: unknown): Promise<unknown> {
      return this.payments.run('CreatePortalSession', raw);
    }

    @MessagePattern(subject('CreateCreditsCheckout'))
    checkout(@Payload() raw: unknown): Promise<unknown> {
      return this.payments.run('CreateCreditsCheckout', raw);
    }
  }
  return PaymentHandler;
}
