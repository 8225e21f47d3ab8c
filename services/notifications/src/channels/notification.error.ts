import { CommandError } from '@steward/commands';
import { NotificationErrorCode } from '@steward/contracts';

export { NotificationErrorCode };

/** A command the notifications context refuses. Messages name fields, never a secret's value nor a URL. */
export class NotificationError extends CommandError<NotificationErrorCode> {
  override readonly name = 'NotificationError';
}
