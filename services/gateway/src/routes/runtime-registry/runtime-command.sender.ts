import type { RuntimeCommandAnswer, RuntimeCommandInput, RuntimeCommandType } from '@steward/contracts';
import { CommandRefusedError, CommandSender, type CommandSenderDeps, type CommandTarget } from '../command.sender';

/**
 * A runtime command the runtime-registry service refused. `code` is its
 * RuntimeErrorCode (`RUNTIME_*`): give `RUNTIME_ERROR_HTTP_STATUS` to the
 * gateway's `errorStatuses` and it answers with that status.
 */
export class RuntimeCommandError extends CommandRefusedError {
  constructor(code: string, message: string) {
    super(code, message, 'RuntimeCommandError');
  }
}

/**
 * Sends runtime commands (`<prefix>cmd.runtime.<Type>`) and turns refusals into
 * RuntimeCommandErrors and transport failures into 503s. The payload may
 * hold secret values: nothing of it is logged or put into an error.
 */
export class RuntimeCommandSender {
  private readonly sender: CommandSender<RuntimeCommandAnswer>;

  constructor(deps: CommandSenderDeps) {
    this.sender = new CommandSender(deps, {
      context: 'runtime',
      defaultTimeoutMs: 15_000,
      refused: ({ code, message }) => new RuntimeCommandError(code, message),
      resendHint: 'resend with the same Idempotency-Key',
      secretPayloadOf: 'runtime',
    });
  }

  send<T extends RuntimeCommandType>(type: T, payload: RuntimeCommandInput<T>, target: CommandTarget): Promise<RuntimeCommandAnswer> {
    return this.sender.send(type, payload, target);
  }
}
