import type { UsageCommandAnswer, UsageCommandInput, UsageCommandType } from '@steward/contracts';
import { ModelSettingsErrorCode } from '@steward/contracts';
import { MessagingError, MessagingErrorCode, natsNames, type CommandClient, type NatsNames } from '@steward/messaging';
import { traceContextFromActive } from '@steward/observability';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import type { Caller } from '../caller';

/**
 * A model-settings command usage-metering refused. `code` is its
 * ModelSettingsErrorCode (`MODELS_FORBIDDEN`, …): the gateway answers with
 * MODEL_SETTINGS_ERROR_HTTP_STATUS given to its `errorStatuses`.
 */
export class ModelCommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelCommandError';
  }
}

export interface ModelCommandTarget {
  readonly commandId: string;
  readonly caller: Caller;
  readonly organizationId?: string | undefined;
  readonly workspaceId: string;
  readonly requestId: string;
  readonly issuedAt: string;
  /** How the request names the payload's fields: a refusal naming `unitPrices.input` names `body.<this>.input`. */
  readonly fieldOf?: (field: string) => string;
}

/**
 * Sends model-settings commands (`<prefix>cmd.usage.<Type>`). A refused value
 * becomes a 400 naming the body field; other refusals keep their code; no
 * answer is a 503 (resend: the command id makes it safe).
 */
export class ModelCommandSender {
  private readonly names: NatsNames;

  constructor(private readonly deps: { readonly commands: CommandClient; readonly natsPrefix: string; readonly timeoutMs?: number }) {
    this.names = natsNames(deps.natsPrefix);
  }

  async send<T extends UsageCommandType>(type: T, payload: UsageCommandInput<T>, target: ModelCommandTarget): Promise<UsageCommandAnswer> {
    const traceContext = traceContextFromActive();
    try {
      return await this.deps.commands.send<UsageCommandAnswer>(
        this.names.commandSubject('usage', type),
        {
          commandId: target.commandId,
          type,
          actor: target.caller.actor,
          ...(target.organizationId !== undefined ? { organizationId: target.organizationId } : {}),
          workspaceId: target.workspaceId,
          correlationId: target.requestId,
          ...(traceContext ? { traceContext } : {}),
          issuedAt: target.issuedAt,
          payload,
        },
        { timeoutMs: this.deps.timeoutMs ?? 10_000 },
      );
    } catch (error) {
      throw refusalOf(error, type, target.fieldOf ?? ((field) => field));
    }
  }
}

function refusalOf(error: unknown, type: string, fieldOf: (field: string) => string): Error {
  if (MessagingError.is(error, MessagingErrorCode.CommandFailed)) {
    const body = error.details.error;
    if (body && typeof body === 'object' && typeof (body as { code?: unknown }).code === 'string') {
      const { code, message, field } = body as { code: string; message?: unknown; field?: unknown };
      const text = typeof message === 'string' ? message : code;
      if (code === ModelSettingsErrorCode.InvalidCommand) {
        const named = typeof field === 'string' && field.length > 0 ? `body.${fieldOf(field)}` : 'body';
        return new GatewayError(GatewayErrorCode.Validation, text, { errors: [{ field: named, message: text }] });
      }
      return new ModelCommandError(code, text);
    }
  }
  if (MessagingError.is(error, MessagingErrorCode.Timeout) || MessagingError.is(error, MessagingErrorCode.NoResponders) || MessagingError.is(error, MessagingErrorCode.Unavailable)) {
    return new GatewayError(GatewayErrorCode.Unavailable, `${type} got no answer; send it again`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
