import { TeamErrorCode, type TeamErrorBody } from '@steward/contracts';

export { TeamErrorCode };

/** A command the team context refuses: a broken invariant, a missing aggregate, a conflict. */
export class TeamError extends Error {
  constructor(
    readonly code: TeamErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TeamError';
  }

  toBody(): TeamErrorBody {
    return { code: this.code, message: this.message };
  }

  static is(error: unknown, code?: TeamErrorCode): error is TeamError {
    return error instanceof TeamError && (code === undefined || error.code === code);
  }
}
