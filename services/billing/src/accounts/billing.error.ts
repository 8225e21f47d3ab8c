import { CommandError } from '@steward/commands';
import { BillingErrorCode } from '@steward/contracts';

export { BillingErrorCode };

/** A command the billing context refuses. */
export class BillingError extends CommandError<BillingErrorCode> {
  override readonly name = 'BillingError';
}
