import type { RuntimeCommandAnswer, RuntimeCommandInput, RuntimeCommandType } from '@steward/contracts';
import { CommandSender, type CommandSenderDeps, type CommandTarget } from '../command.sender';
import { TeamCommandError } from '../team-command.sender';

/**
 * Sends runtime commands (`<prefix>cmd.runtime.<Type>`) and turns refusals into
 * errors carrying the service's RUNTIME_* code (mapped to HTTP statuses by the
 * gateway's errorStatuses) and transport failures into 503s. The payload may
 * hold secret values: nothing of it is logged or put into an error.
 */
export class RuntimeCommandSender {
  private readonly sender: CommandSender<RuntimeCommandAnswer>;

  constructor(deps: CommandSenderDeps) {
    this.sender = new CommandSender(deps, {
      context: 'runtime',
      defaultTimeoutMs: 15_000,
      refused: ({ code, message }) => new TeamCommandError(code, message),
      resendHint: 'resend with the same Idempotency-Key',
      secretPayloadOf: 'runtime',
    });
  }

  send<T extends RuntimeCommandType>(type: T, payload: RuntimeCommandInput<T>, target: CommandTarget): Promise<RuntimeCommandAnswer> {
    return this.sender.send(type, payload, target);
  }
}
