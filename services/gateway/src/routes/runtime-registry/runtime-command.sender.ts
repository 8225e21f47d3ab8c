import { RuntimeErrorCode, type RuntimeCommandAnswerOf, type RuntimeCommandInput, type RuntimeCommandType } from '@steward/contracts';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { CommandRefusedError, CommandSender, type CommandRefusal, type CommandSenderDeps, type CommandTarget } from '../command.sender';

/**
 * A runtime command the runtime-registry service refused. `code` is its
 * RuntimeErrorCode (`RUNTIME_*`): give `RUNTIME_ERROR_HTTP_STATUS` to the
 * gateway's `errorStatuses` and it answers with that status.
 */
export class RuntimeCommandError extends CommandRefusedError {
  constructor(code: string, message: string, field?: string) {
    super(code, message, 'RuntimeCommandError', field);
  }
}

/**
 * Sends runtime commands (`<prefix>cmd.runtime.<Type>`) and turns refusals into
 * RuntimeCommandErrors and transport failures into 503s. The payload may
 * hold secret values: nothing of it is logged or put into an error.
 */
export class RuntimeCommandSender {
  private readonly sender: CommandSender<RuntimeCommandAnswerOf<RuntimeCommandType>>;

  constructor(deps: CommandSenderDeps) {
    this.sender = new CommandSender(deps, {
      context: 'runtime',
      defaultTimeoutMs: 15_000,
      refused: refusalOf,
      resendHint: 'resend with the same Idempotency-Key',
      secretPayloadOf: 'runtime',
    });
  }

  send<T extends RuntimeCommandType>(type: T, payload: RuntimeCommandInput<T>, target: CommandTarget): Promise<RuntimeCommandAnswerOf<T>> {
    return this.sender.send(type, payload, target) as Promise<RuntimeCommandAnswerOf<T>>;
  }
}

/** A configuration the service refused names each field at fault, as the gateway's own 400s do (`body.config.server`). */
function refusalOf({ code, message, body }: CommandRefusal): Error {
  const issues = code === RuntimeErrorCode.InvalidConfig && Array.isArray(body.errors) ? body.errors.filter(isFieldIssue) : [];
  if (issues.length > 0) {
    const errors = issues.map((issue) => ({ field: `body.${issue.field}`, message: issue.message }));
    return new GatewayError(GatewayErrorCode.Validation, `${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((error) => error.field).join(', ')}`, { errors });
  }
  return new RuntimeCommandError(code, message, typeof body.field === 'string' ? body.field : undefined);
}

function isFieldIssue(value: unknown): value is { field: string; message: string } {
  return typeof value === 'object' && value !== null && typeof (value as { field?: unknown }).field === 'string' && typeof (value as { message?: unknown }).message === 'string';
}
