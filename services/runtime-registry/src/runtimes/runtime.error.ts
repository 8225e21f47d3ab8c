import { CommandError } from '@steward/commands';
import { RuntimeErrorCode, type RuntimeErrorBody, type RuntimeFieldIssue } from '@steward/contracts';

export { RuntimeErrorCode };

/** A command the runtime context refuses. Messages name fields, never a secret's value. */
export class RuntimeError extends CommandError<RuntimeErrorCode> {
  override readonly name = 'RuntimeError';

  constructor(
    code: RuntimeErrorCode,
    message: string,
    field?: string,
    /** Every field at fault, for an invalid configuration. */
    readonly errors?: readonly RuntimeFieldIssue[],
  ) {
    super(code, message, field);
  }

  override toBody(): RuntimeErrorBody {
    return { ...super.toBody(), ...(this.errors && this.errors.length > 0 ? { errors: this.errors } : {}) };
  }
}
