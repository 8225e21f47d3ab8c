import type { CommandErrorBody } from '../command';

/**
 * What the job-history service answers when it refuses a command (`{ code, message }`).
 * The codes start with `JOB_` so they never meet another context's codes in the
 * gateway's one table of statuses (JOB_ERROR_HTTP_STATUS).
 */
export enum JobErrorCode {
  /** The payload does not match the command's schema (400). */
  InvalidCommand = 'JOB_INVALID_COMMAND',
  /** The actor may not write jobs in this workspace (403). */
  Forbidden = 'JOB_FORBIDDEN',
  /** No such job in this workspace (404). */
  NotFound = 'JOB_NOT_FOUND',
  /** A job with this id was started already, differently (409). */
  AlreadyExists = 'JOB_ALREADY_EXISTS',
  /** The job is finished: no more steps, no other outcome (409). */
  AlreadyFinished = 'JOB_ALREADY_FINISHED',
  /** The end time lies before the start time (400). */
  EndBeforeStart = 'JOB_END_BEFORE_START',
  /** A concurrent writer kept winning; resend with the same command id (409). */
  Conflict = 'JOB_CONFLICT',
  /** The event store could not be reached; resend with the same command id (503). */
  Unavailable = 'JOB_UNAVAILABLE',
}

export type JobErrorBody = CommandErrorBody<JobErrorCode>;

export const JOB_ERROR_HTTP_STATUS: Readonly<Record<JobErrorCode, number>> = {
  [JobErrorCode.InvalidCommand]: 400,
  [JobErrorCode.EndBeforeStart]: 400,
  [JobErrorCode.Forbidden]: 403,
  [JobErrorCode.NotFound]: 404,
  [JobErrorCode.AlreadyExists]: 409,
  [JobErrorCode.AlreadyFinished]: 409,
  [JobErrorCode.Conflict]: 409,
  [JobErrorCode.Unavailable]: 503,
};
