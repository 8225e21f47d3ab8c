import type { CommandWrite } from '@steward/contracts';
import { MessagingError, MessagingErrorCode, natsNames, type CommandClient, type NatsNames } from '@steward/messaging';
import { traceContextFromActive } from '@steward/observability';
import { GatewayError, GatewayErrorCode } from '../gateway.error';
import type { WriteSettler } from '../read-your-writes/read-your-writes';
import type { Caller } from './caller';

/** Who sends a command, for which tenant, under which id. */
export interface CommandTarget {
  readonly commandId: string;
  readonly caller: Caller;
  readonly organizationId?: string | undefined;
  readonly workspaceId?: string | undefined;
  /** The request id: the command's correlation id. */
  readonly requestId: string;
  readonly issuedAt: string;
}

/** What a service answered when it refused a command: its error code, message and the rest of its error body. */
export interface CommandRefusal {
  readonly type: string;
  readonly code: string;
  /** The refusal's message, else its code. */
  readonly message: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/** How one bounded context's commands are sent and their failures told. */
export interface CommandContext<TTarget extends CommandTarget> {
  /** The subject's context segment: `<prefix>cmd.<context>.<Type>`. */
  readonly context: string;
  readonly defaultTimeoutMs: number;
  /**
   * The error a refusal becomes: usually one carrying the service's code,
   * which the gateway's `errorStatuses` maps to its HTTP status.
   */
  readonly refused: (refusal: CommandRefusal, target: TTarget) => Error;
  /** What a 503 for no answer tells the client to do. */
  readonly resendHint: string;
  /**
   * Set when the payload may hold secrets: no failure keeps the transport
   * error (its details hold the envelope), a failure without a code and any
   * other failure become 503s naming this service.
   */
  readonly secretPayloadOf?: string;
}

export interface CommandSenderDeps {
  readonly commands: CommandClient;
  readonly natsPrefix: string;
  readonly timeoutMs?: number;
  /** Holds every accepted command's answer until the read models show it (the gateway's ReadYourWrites). */
  readonly readYourWrites: WriteSettler;
}

/**
 * Sends a context's commands over NATS request/reply as CommandEnvelopes and
 * turns refusals into the context's errors and transport failures into 503s
 * (resend with the same Idempotency-Key: the command id makes it safe). An
 * accepted command's answer is returned only once the read models that read
 * its events have passed them (`readYourWrites`): the one place every context's
 * writes get read-your-writes.
 */
export class CommandSender<TAnswer extends CommandWrite, TTarget extends CommandTarget = CommandTarget> {
  private readonly names: NatsNames;

  constructor(
    private readonly deps: CommandSenderDeps,
    private readonly spec: CommandContext<TTarget>,
  ) {
    this.names = natsNames(deps.natsPrefix);
  }

  async send(type: string, payload: unknown, target: TTarget): Promise<TAnswer> {
    const traceContext = traceContextFromActive();
    let answer: TAnswer;
    try {
      answer = await this.deps.commands.send<TAnswer>(
        this.names.commandSubject(this.spec.context, type),
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
        { timeoutMs: this.deps.timeoutMs ?? this.spec.defaultTimeoutMs },
      );
    } catch (error) {
      throw this.failureOf(error, type, target);
    }
    await this.deps.readYourWrites.settle(answer);
    return answer;
  }

  private failureOf(error: unknown, type: string, target: TTarget): Error {
    const secret = this.spec.secretPayloadOf;
    if (MessagingError.is(error, MessagingErrorCode.CommandFailed)) {
      const body = error.details.error;
      if (body && typeof body === 'object' && typeof (body as { code?: unknown }).code === 'string') {
        const { code, message } = body as { code: string; message?: unknown };
        const text = typeof message === 'string' ? message : code;
        return this.spec.refused({ type, code, message: text, body: body as Record<string, unknown> }, target);
      }
      if (secret !== undefined) {
        return new GatewayError(GatewayErrorCode.Unavailable, `${type} failed in the ${secret} service; ${this.spec.resendHint}`);
      }
    }
    if (MessagingError.is(error, MessagingErrorCode.Timeout) || MessagingError.is(error, MessagingErrorCode.NoResponders) || MessagingError.is(error, MessagingErrorCode.Unavailable)) {
      const detail = `${type} got no answer; ${this.spec.resendHint}`;
      return secret !== undefined ? new GatewayError(GatewayErrorCode.Unavailable, detail) : new GatewayError(GatewayErrorCode.Unavailable, detail, { cause: error });
    }
    // with a secret payload never the original error: its details hold the envelope, and the envelope the payload
    if (secret !== undefined) return new GatewayError(GatewayErrorCode.Unavailable, `${type} could not be sent`);
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** An error carrying a service's refusal code (mapped to a status by the gateway's `errorStatuses`). */
export class CommandRefusedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    name = 'CommandRefusedError',
    /** The payload field at fault, when the service named one (its 400 problem names `body.<field>`). */
    readonly field?: string,
  ) {
    super(message);
    this.name = name;
  }
}
