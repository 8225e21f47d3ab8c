import { CommandError } from '@steward/commands';
import { InvoiceErrorCode } from '@steward/contracts';

export { InvoiceErrorCode };

/** An invoice or payment command the billing context refuses. */
export class InvoiceError extends CommandError<InvoiceErrorCode> {
  override readonly name = 'InvoiceError';
}
