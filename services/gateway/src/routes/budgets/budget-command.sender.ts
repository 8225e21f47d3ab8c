import type { BudgetCommandAnswer, BudgetCommandInput, BudgetCommandType } from '@steward/contracts';
import { CommandRefusedError, CommandSender, type CommandRefusal, type CommandSenderDeps, type CommandTarget } from '../command.sender';

/** A budgets command the budgets service refused; `code` is its BudgetErrorCode (`BUDGET_*`). */
export class BudgetCommandError extends CommandRefusedError {
  constructor(code: string, message: string, field?: string) {
    super(code, message, 'BudgetCommandError', field);
  }
}

/** Sends budgets commands (`<prefix>cmd.budgets.<Type>`); refusals become BudgetCommandErrors, transport failures 503s. */
export class BudgetCommandSender {
  private readonly sender: CommandSender<BudgetCommandAnswer>;

  constructor(deps: CommandSenderDeps) {
    this.sender = new CommandSender(deps, {
      context: 'budgets',
      defaultTimeoutMs: 15_000,
      refused: ({ code, message, body }: CommandRefusal) => new BudgetCommandError(code, message, typeof body.field === 'string' ? body.field : undefined),
      resendHint: 'resend with the same Idempotency-Key',
    });
  }

  send<T extends BudgetCommandType>(type: T, payload: BudgetCommandInput<T>, target: CommandTarget): Promise<BudgetCommandAnswer> {
    return this.sender.send(type, payload, target);
  }
}
