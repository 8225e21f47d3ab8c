import { CommandError } from '@steward/commands';
import { BudgetErrorCode } from '@steward/contracts';

export { BudgetErrorCode };

/** A command the budgets context refuses. */
export class BudgetError extends CommandError<BudgetErrorCode> {
  override readonly name = 'BudgetError';
}
