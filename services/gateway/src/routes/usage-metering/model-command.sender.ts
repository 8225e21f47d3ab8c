import type { UsageCommandAnswer, UsageCommandInput, UsageCommandType } from '@steward/contracts';
import { ModelSettingsErrorCode } from '@steward/contracts';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { CommandRefusedError, CommandSender, type CommandRefusal, type CommandSenderDeps, type CommandTarget } from '../command.sender';

/**
 * A model-settings command usage-metering refused. `code` is its
 * ModelSettingsErrorCode (`MODELS_FORBIDDEN`, …): the gateway answers with
 * MODEL_SETTINGS_ERROR_HTTP_STATUS given to its `errorStatuses`.
 */
export class ModelCommandError extends CommandRefusedError {
  constructor(code: string, message: string) {
    super(code, message, 'ModelCommandError');
  }
}

export interface ModelCommandTarget extends CommandTarget {
  readonly workspaceId: string;
  /** How the request names the payload's fields: a refusal naming `unitPrices.input` names `body.<this>.input`. */
  readonly fieldOf?: (field: string) => string;
}

/**
 * Sends model-settings commands (`<prefix>cmd.usage.<Type>`). A refused value
 * becomes a 400 naming the body field; other refusals keep their code; no
 * answer is a 503 (resend: the command id makes it safe).
 */
export class ModelCommandSender {
  private readonly sender: CommandSender<UsageCommandAnswer, ModelCommandTarget>;

  constructor(deps: CommandSenderDeps) {
    this.sender = new CommandSender(deps, {
      context: 'usage',
      defaultTimeoutMs: 10_000,
      refused: refusalOf,
      resendHint: 'send it again',
    });
  }

  send<T extends UsageCommandType>(type: T, payload: UsageCommandInput<T>, target: ModelCommandTarget): Promise<UsageCommandAnswer> {
    return this.sender.send(type, payload, target);
  }
}

function refusalOf({ code, message, body }: CommandRefusal, target: ModelCommandTarget): Error {
  if (code === ModelSettingsErrorCode.InvalidCommand) {
    const field = body.field;
    const fieldOf = target.fieldOf ?? ((name: string) => name);
    const named = typeof field === 'string' && field.length > 0 ? `body.${fieldOf(field)}` : 'body';
    return new GatewayError(GatewayErrorCode.Validation, message, { errors: [{ field: named, message }] });
  }
  return new ModelCommandError(code, message);
}
