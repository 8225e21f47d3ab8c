import type { BillingCommandAnswer, BillingCommandInput, BillingCommandType } from '@steward/contracts';
import { CommandRefusedError, CommandSender, type CommandRefusal, type CommandSenderDeps, type CommandTarget } from '../command.sender';

/**
 * A billing command the billing service refused. `code` is its
 * BillingErrorCode (`BILLING_*`): the gateway answers it with the status of
 * `BILLING_ERROR_HTTP_STATUS`.
 */
export class BillingCommandError extends CommandRefusedError {
  constructor(code: string, message: string, field?: string) {
    super(code, message, 'BillingCommandError', field);
  }
}

/** Sends billing commands (`<prefix>cmd.billing.<Type>`); refusals become BillingCommandErrors, transport failures 503s. */
export class BillingCommandSender {
  private readonly sender: CommandSender<BillingCommandAnswer>;

  constructor(deps: CommandSenderDeps) {
    this.sender = new CommandSender(deps, {
      context: 'billing',
      defaultTimeoutMs: 15_000,
      refused: ({ code, message, body }: CommandRefusal) => new BillingCommandError(code, message, typeof body.field === 'string' ? body.field : undefined),
      resendHint: 'resend with the same Idempotency-Key',
    });
  }

  send<T extends BillingCommandType>(type: T, payload: BillingCommandInput<T>, target: CommandTarget): Promise<BillingCommandAnswer> {
    return this.sender.send(type, payload, target);
  }
}
