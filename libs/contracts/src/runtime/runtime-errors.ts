import type { CommandErrorBody } from '../command';

/**
 * What the runtime-registry service answers when it refuses a command (the
 * `code` of the `{ code, message }` error body). The gateway maps each code to
 * an HTTP status in one place: RUNTIME_ERROR_HTTP_STATUS.
 */
export enum RuntimeErrorCode {
  /** The payload does not match the command's schema (400). */
  InvalidCommand = 'RUNTIME_INVALID_COMMAND',
  /**
   * The configuration does not match the provider's schema (400); `message` and `errors` name the
   * fields (`config.server`), never a value.
   */
  InvalidConfig = 'RUNTIME_INVALID_CONFIG',
  /** The actor's role or scopes do not allow it (403). */
  Forbidden = 'RUNTIME_FORBIDDEN',
  /** No such workspace or runtime in this tenant (404). */
  NotFound = 'RUNTIME_NOT_FOUND',
  /** A runtime of this id exists already (409). */
  Exists = 'RUNTIME_EXISTS',
  /** Another runtime of the workspace and category has this name (409). */
  NameTaken = 'RUNTIME_NAME_TAKEN',
  /** Concurrent changes kept winning; send again (409). */
  Conflict = 'RUNTIME_CONFLICT',
  /** The event store, secret store or queue could not be reached; resend with the same id (503). */
  Unavailable = 'RUNTIME_UNAVAILABLE',
}

/** One field of the payload at fault and why: `config.<field>` for a provider configuration. */
export interface RuntimeFieldIssue {
  readonly field: string;
  readonly message: string;
}

export interface RuntimeErrorBody extends CommandErrorBody<RuntimeErrorCode> {
  /** RUNTIME_INVALID_CONFIG: every field at fault (the gateway answers them as its 400's `errors`). */
  readonly errors?: readonly RuntimeFieldIssue[];
}

export const RUNTIME_ERROR_HTTP_STATUS: Readonly<Record<RuntimeErrorCode, number>> = {
  [RuntimeErrorCode.InvalidCommand]: 400,
  [RuntimeErrorCode.InvalidConfig]: 400,
  [RuntimeErrorCode.Forbidden]: 403,
  [RuntimeErrorCode.NotFound]: 404,
  [RuntimeErrorCode.Exists]: 409,
  [RuntimeErrorCode.NameTaken]: 409,
  [RuntimeErrorCode.Conflict]: 409,
  [RuntimeErrorCode.Unavailable]: 503,
};
