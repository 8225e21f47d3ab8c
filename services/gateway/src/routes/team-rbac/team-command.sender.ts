import { createHash, randomUUID } from 'node:crypto';
import type { TeamCommandAnswer, TeamCommandAnswerOf, TeamCommandInput, TeamCommandType } from '@steward/contracts';
import type { Principal } from '../../route';
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

/** A UUID-shaped id derived from text (same text, same id). */
export function derivedUuid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The command id of a request: derived from the client's Idempotency-Key (per
 * caller, so two callers' keys never collide) when it sent one, else new. A
 * retry with the same key is the same command, which the handler answers as
 * before. `step` tells apart the commands one request sends.
 */
export function commandIdFor(principal: Principal | undefined, idempotencyKey: string | undefined, step = 0): string {
  if (idempotencyKey === undefined) return randomUUID();
  const who = principal ? `${principal.kind}:${principal.id}` : 'anonymous';
  return derivedUuid(`${who}\n${idempotencyKey}\n${step}`);
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
