import { createHash, randomUUID } from 'node:crypto';
import type { TeamCommandAnswer, TeamCommandInput, TeamCommandType } from '@steward/contracts';
import { CommandClient, MessagingError, MessagingErrorCode, natsNames, type NatsNames } from '@steward/messaging';
import { traceContextFromActive } from '@steward/observability';
import { GatewayError, GatewayErrorCode } from '../gateway.error';
import type { Principal } from '../route';
import type { Caller } from './caller';

/**
 * A team command the service refused. `code` is its TeamErrorCode
 * (`LAST_OWNER`, `INVITATION_EXPIRED`, …): the gateway's problem mapping gives
 * it its status through `config.errorStatuses = TEAM_ERROR_HTTP_STATUS`.
 */
export class TeamCommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TeamCommandError';
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

/** An id for a new aggregate, stable for a command id: `<prefix>-<32 hex>`. */
export function newIdFor(commandId: string, prefix: string): string {
  return `${prefix}-${createHash('sha256').update(`${commandId}\n${prefix}`).digest('hex').slice(0, 32)}`;
}

export interface CommandTarget {
  readonly commandId: string;
  readonly caller: Caller;
  readonly organizationId?: string | undefined;
  readonly workspaceId?: string | undefined;
  /** The request id: the command's correlation id. */
  readonly requestId: string;
  readonly issuedAt: string;
}

/**
 * Sends team commands over NATS request/reply and turns refusals into
 * TeamCommandErrors (the service's code) and transport failures into 503s
 * (resend with the same Idempotency-Key: the command id makes it safe).
 */
export class TeamCommandSender {
  private readonly names: NatsNames;

  constructor(
    private readonly deps: { readonly commands: CommandClient; readonly natsPrefix: string; readonly timeoutMs?: number },
  ) {
    this.names = natsNames(deps.natsPrefix);
  }

  async send<T extends TeamCommandType>(type: T, payload: TeamCommandInput<T>, target: CommandTarget): Promise<TeamCommandAnswer> {
    const traceContext = traceContextFromActive();
    try {
      return await this.deps.commands.send<TeamCommandAnswer>(
        this.names.commandSubject('team', type),
        {
          commandId: target.commandId,
          type,
          actor: target.caller.actor,
          ...(target.organizationId !== undefined ? { organizationId: target.organizationId } : {}),
          ...(target.workspaceId !== undefined ? { workspaceId: target.workspaceId } : {}),
          correlationId: target.requestId,
          ...(traceContext ? { traceContext } : {}),
          issuedAt: target.issuedAt,
          payload,
        },
        { timeoutMs: this.deps.timeoutMs ?? 10_000 },
      );
    } catch (error) {
      throw refusalOf(error, type);
    }
  }
}

function refusalOf(error: unknown, type: string): Error {
  if (MessagingError.is(error, MessagingErrorCode.CommandFailed)) {
    const body = error.details.error;
    if (body && typeof body === 'object' && typeof (body as { code?: unknown }).code === 'string') {
      const { code, message } = body as { code: string; message?: unknown };
      return new TeamCommandError(code, typeof message === 'string' ? message : code);
    }
  }
  if (MessagingError.is(error, MessagingErrorCode.Timeout) || MessagingError.is(error, MessagingErrorCode.NoResponders) || MessagingError.is(error, MessagingErrorCode.Unavailable)) {
    return new GatewayError(GatewayErrorCode.Unavailable, `${type} got no answer; resend with the same Idempotency-Key`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
