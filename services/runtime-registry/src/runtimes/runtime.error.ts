import { RuntimeErrorCode, type RuntimeErrorBody } from '@steward/contracts';

export { RuntimeErrorCode };

/** A command the runtime context refuses. Messages name fields, never a secret's value. */
export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }

  toBody(): RuntimeErrorBody {
    return { code: this.code, message: this.message };
  }

  static is(error: unknown, code?: RuntimeErrorCode): error is RuntimeError {
    return error instanceof RuntimeError && (code === undefined || error.code === code);
  }
}
