import { ModelSettingsErrorCode, type ModelSettingsErrorBody } from '@steward/contracts';

export { ModelSettingsErrorCode };

/** A model-settings command refused: a broken rule, a workspace the actor cannot see, a conflict. */
export class ModelSettingsError extends Error {
  constructor(
    readonly code: ModelSettingsErrorCode,
    message: string,
    /** For INVALID_COMMAND: the payload field at fault. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ModelSettingsError';
  }

  toBody(): ModelSettingsErrorBody {
    return { code: this.code, message: this.message, ...(this.field !== undefined ? { field: this.field } : {}) };
  }

  static is(error: unknown, code?: ModelSettingsErrorCode): error is ModelSettingsError {
    return error instanceof ModelSettingsError && (code === undefined || error.code === code);
  }
}
