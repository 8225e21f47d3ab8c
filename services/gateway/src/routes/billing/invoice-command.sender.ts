import type { CommandAnswer, InvoiceCommandType, ProviderSessionAnswer, StripeWebhookAnswer } from '@steward/contracts';
import { CommandRefusedError, CommandSender, type CommandRefusal, type CommandSenderDeps, type CommandTarget } from '../command.sender';

/** An invoice or payment command the billing service refused: `code` is its InvoiceErrorCode (`BILLING_INVOICE_*`). */
export class InvoiceCommandError extends CommandRefusedError {
  constructor(code: string, message: string, field?: string) {
    super(code, message, 'InvoiceCommandError', field);
  }
}

type Answers = {
  RecordInvoicePayment: CommandAnswer;
  VoidInvoice: CommandAnswer;
  HandleStripeWebhook: StripeWebhookAnswer & { events: [] };
  CreatePortalSession: ProviderSessionAnswer & { events: [] };
  CreateCreditsCheckout: ProviderSessionAnswer & { events: [] };
};

/**
 * Sends the billing service's invoice and payment commands (`<prefix>cmd.billing.<Type>`). A webhook's payload is
 * the provider's body: nothing of it is logged or put into an error.
 */
export class InvoiceCommandSender {
  private readonly sender: CommandSender<CommandAnswer>;

  constructor(deps: CommandSenderDeps) {
    this.sender = new CommandSender(deps, {
      context: 'billing',
      defaultTimeoutMs: 20_000,
      refused: ({ code, message, body }: CommandRefusal) => new InvoiceCommandError(code, message, typeof body.field === 'string' ? body.field : undefined),
      resendHint: 'resend with the same Idempotency-Key',
      secretPayloadOf: 'billing',
    });
  }

  async send<T extends InvoiceCommandType>(type: T, payload: unknown, target: CommandTarget): Promise<Answers[T]> {
    const answer = (await this.sender.send(type, payload, target)) as unknown as Answers[T];
    return answer;
  }
}
