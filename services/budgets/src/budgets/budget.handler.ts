import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { BudgetCommandAnswer, BudgetCommandType } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { BudgetCommandRunner } from './budget-command.runner';

/** The budgets context's commands over NATS request/reply (`<prefix>cmd.budgets.<Type>`): translate and hand over. */
export function budgetHandler(names: NatsNames): Type<unknown> {
  const subject = (type: BudgetCommandType) => names.commandSubject('budgets', type);

  @Controller()
  class BudgetHandler {
    constructor(@Inject(BudgetCommandRunner) private readonly runner: BudgetCommandRunner) {}

    @MessagePattern(subject('DefineBudget'))
    define(@Payload() raw: unknown): Promise<BudgetCommandAnswer> {
      return this.runner.run('DefineBudget', raw);
    }

    @MessagePattern(subject('ChangeBudget'))
    change(@Payload() raw: unknown): Promise<BudgetCommandAnswer> {
      return this.runner.run('ChangeBudget', raw);
    }

    @MessagePattern(subject('RemoveBudget'))
    remove(@Payload() raw: unknown): Promise<BudgetCommandAnswer> {
      return this.runner.run('RemoveBudget', raw);
    }
  }
  return BudgetHandler;
}
