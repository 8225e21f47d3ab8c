import type { NotificationCommandAnswer, NotificationCommandInput, NotificationCommandType } from '@steward/contracts';
import { CommandRefusedError, CommandSender, type CommandRefusal, type CommandSenderDeps, type CommandTarget } from '../command.sender';

/** A notifications command the service refused; `code` is its NotificationErrorCode (`NOTIFICATION_*`), mapped by NOTIFICATION_ERROR_HTTP_STATUS. */
export class NotificationCommandError extends CommandRefusedError {
  constructor(code: string, message: string, field?: string) {
    super(code, message, 'NotificationCommandError', field);
  }
}

/**
 * Sends notifications commands (`<prefix>cmd.notifications.<Type>`). A Slack
 * URL in a payload is a credential: nothing of the payload is logged or put
 * into an error.
 */
export class NotificationCommandSender {
  private readonly sender: CommandSender<NotificationCommandAnswer>;

  constructor(deps: CommandSenderDeps) {
    this.sender = new CommandSender(deps, {
      context: 'notifications',
      defaultTimeoutMs: 15_000,
      refused: ({ code, message, body }: CommandRefusal) => new NotificationCommandError(code, message, typeof body.field === 'string' ? body.field : undefined),
      resendHint: 'resend with the same Idempotency-Key',
      secretPayloadOf: 'notifications',
    });
  }

  send<T extends NotificationCommandType>(type: T, payload: NotificationCommandInput<T>, target: CommandTarget): Promise<NotificationCommandAnswer> {
    return this.sender.send(type, payload, target);
  }
}
