import { JobErrorCode, type JobErrorBody } from '@steward/contracts';

export { JobErrorCode };

/** A job command the service refuses: a broken invariant, an unknown job, a conflict. */
export class JobError extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'JobError';
  }

  toBody(): JobErrorBody {
    return { code: this.code, message: this.message };
  }

  static is(error: unknown, code?: JobErrorCode): error is JobError {
    return error instanceof JobError && (code === undefined || error.code === code);
  }
}
