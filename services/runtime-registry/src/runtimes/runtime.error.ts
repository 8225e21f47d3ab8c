import { CommandError } from '@steward/commands';
import { RuntimeErrorCode } from '@steward/contracts';

export { RuntimeErrorCode };

/** A command the runtime context refuses. Messages name fields, never a secret's value. */
export class RuntimeError extends CommandError<RuntimeErrorCode> {
  override readonly name = 'RuntimeError';
}
