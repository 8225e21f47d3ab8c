import type { RuntimeCommandAnswer, RuntimeCommandInput, RuntimeCommandType } from '@steward/contracts';
import { MessagingError, MessagingErrorCode, natsNames, type CommandClient, type NatsNames } from '@steward/messaging';
import { traceContextFromActive } from '@steward/observability';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { TeamCommandError, type CommandTarget } from '../team-command.sender';

/**
 * Sends runtime commands (`<prefix>cmd.runtime.<Type>`) and turns refusals into
 * errors carrying the service's RUNTIME_* code (mapped to HTTP statuses by the
 * gateway's errorStatuses) and transport failures into 503s. The payload may
 * hold secret values: nothing of it is logged or put into an error.
 */
export class RuntimeCommandSender {
  private readonly names: NatsNames;

  constructor(private readonly deps: { readonly commands: CommandClient; readonly natsPrefix: string; readonly timeoutMs?: number }) {
    this.names = natsNames(deps.natsPrefix);
  }

  async send<T extends RuntimeCommandType>(type: T, payload: RuntimeCommandInput<T>, target: CommandTarget): Promise<RuntimeCommandAnswer> {
    const traceContext = traceContextFromActive();
    try {
      return await this.deps.commands.send<RuntimeCommandAnswer>(
        this.names.commandSubject('runtime', type),
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
        { timeoutMs: this.deps.timeoutMs ?? 15_000 },
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
    return new GatewayError(GatewayErrorCode.Unavailable, `${type} failed in the runtime service; resend with the same Idempotency-Key`);
  }
  if (MessagingError.is(error, MessagingErrorCode.Timeout) || MessagingError.is(error, MessagingErrorCode.NoResponders) || MessagingError.is(error, MessagingErrorCode.Unavailable)) {
    return new GatewayError(GatewayErrorCode.Unavailable, `${type} got no answer; resend with the same Idempotency-Key`);
  }
  // never the original error: its details hold the envelope, and the envelope the payload
  return new GatewayError(GatewayErrorCode.Unavailable, `${type} could not be sent`);
}
