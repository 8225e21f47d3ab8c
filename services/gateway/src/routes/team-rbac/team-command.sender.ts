import type { TeamCommandAnswer, TeamCommandAnswerOf, TeamCommandInput, TeamCommandType } from '@steward/contracts';
import { CommandRefusedError, CommandSender, type CommandSenderDeps, type CommandTarget } from '../command.sender';

/**
 * A team command the service refused. `code` is its TeamErrorCode
 * (`LAST_OWNER`, `INVITATION_EXPIRED`, …): the gateway's problem mapping gives
 * it its status through `config.errorStatuses = TEAM_ERROR_HTTP_STATUS`.
 */
export class TeamCommandError extends CommandRefusedError {
  constructor(code: string, message: string, field?: string) {
    super(code, message, 'TeamCommandError', field);
  }
}

export type { CommandTarget };

/** Sends team commands (`<prefix>cmd.team.<Type>`); refusals become TeamCommandErrors, silence a 503. */
export class TeamCommandSender {
  private readonly sender: CommandSender<TeamCommandAnswer>;

  constructor(deps: CommandSenderDeps) {
    this.sender = new CommandSender(deps, {
      context: 'team',
      defaultTimeoutMs: 10_000,
      refused: ({ code, message, body }) => new TeamCommandError(code, message, typeof body.field === 'string' ? body.field : undefined),
      resendHint: 'resend with the same Idempotency-Key',
    });
  }

  send<T extends TeamCommandType>(type: T, payload: TeamCommandInput<T>, target: CommandTarget): Promise<TeamCommandAnswerOf<T>> {
    return this.sender.send(type, payload, target) as Promise<TeamCommandAnswerOf<T>>;
  }
}
