import type { CommandErrorBody } from '../command';

/**
 * What the notifications service answers when it refuses a command. The
 * gateway maps each code to an HTTP status in one place: NOTIFICATION_ERROR_HTTP_STATUS.
 */
export enum NotificationErrorCode {
  /** The payload does not match the command's schema (400). */
  InvalidCommand = 'NOTIFICATION_INVALID_COMMAND',
  /** The target is refused: a private, loopback or link-local address not on the allow-list, or a host that does not resolve (400, field `url`). */
  TargetRefused = 'NOTIFICATION_TARGET_REFUSED',
  /** The actor's role does not allow it (403). */
  Forbidden = 'NOTIFICATION_FORBIDDEN',
  /** No such organization, channel or message in this tenant (404). */
  NotFound = 'NOTIFICATION_NOT_FOUND',
  /** A channel of this id exists already (409). */
  Exists = 'NOTIFICATION_EXISTS',
  /** Not possible in the channel's state: a disabled channel sends nothing, an email channel has no signing secret (409). */
  InvalidState = 'NOTIFICATION_INVALID_STATE',
  /** Concurrent changes kept winning; send again (409). */
  Conflict = 'NOTIFICATION_CONFLICT',
  /** The event store, secret store or queue could not be reached; resend with the same id (503). */
  Unavailable = 'NOTIFICATION_UNAVAILABLE',
}

export type NotificationErrorBody = CommandErrorBody<NotificationErrorCode>;

export const NOTIFICATION_ERROR_HTTP_STATUS: Readonly<Record<NotificationErrorCode, number>> = {
  [NotificationErrorCode.InvalidCommand]: 400,
  [NotificationErrorCode.TargetRefused]: 400,
  [NotificationErrorCode.Forbidden]: 403,
  [NotificationErrorCode.NotFound]: 404,
  [NotificationErrorCode.Exists]: 409,
  [NotificationErrorCode.InvalidState]: 409,
  [NotificationErrorCode.Conflict]: 409,
  [NotificationErrorCode.Unavailable]: 503,
};
