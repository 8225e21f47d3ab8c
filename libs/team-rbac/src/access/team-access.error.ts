import type { CommandErrorClass } from '@steward/commands';

export enum TeamAccessErrorCode {
  /** No such workspace for this caller: it does not exist, lies in another tenant, or the caller holds nothing in it (404). */
  NotFound = 'NOT_FOUND',
  /** The caller is in the workspace but the permission matrix refuses the action (403). */
  Forbidden = 'FORBIDDEN',
}

/**
 * A refusal of the team-access module. Each context maps the code to its own
 * error (JobError, RuntimeError, …) so that its callers see one error type.
 */
export class TeamAccessError extends Error {
  constructor(
    readonly code: TeamAccessErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TeamAccessError';
  }

  static is(error: unknown, code?: TeamAccessErrorCode): error is TeamAccessError {
    return error instanceof TeamAccessError && (code === undefined || error.code === code);
  }
}

/**
 * Runs an access check and turns its refusal into the calling context's own
 * error (the code mapped, the message kept), so that context answers with its
 * own codes only. Any other failure passes through.
 */
export async function refusingAs<T, TCode extends string>(
  ErrorClass: CommandErrorClass<TCode>,
  codes: Readonly<Record<TeamAccessErrorCode, TCode>>,
  check: () => Promise<T>,
): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (TeamAccessError.is(error)) throw new ErrorClass(codes[error.code], error.message);
    throw error;
  }
}
