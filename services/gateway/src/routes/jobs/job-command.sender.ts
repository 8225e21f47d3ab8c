import type { JobCommandAnswer, JobCommandInput, JobCommandType } from '@steward/contracts';
import { MessagingError, MessagingErrorCode, natsNames, type CommandClient, type NatsNames } from '@steward/messaging';
import { traceContextFromActive } from '@steward/observability';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import type { Caller } from '../caller';

/**
 * A job command the job-history service refused. `code` is its JobErrorCode
 * (`JOB_ALREADY_FINISHED`, …): give `JOB_ERROR_HTTP_STATUS` to the gateway's
 * `errorStatuses` and it answers with that status.
 */
export class JobCommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'JobCommandError';
  }
}

export interface JobCommandTarget {
  readonly commandId: string;
  readonly caller: Caller;
  readonly organizationId?: string | undefined;
  readonly workspaceId: string;
  /** The request id: the command's correlation id. */
  readonly requestId: string;
  readonly issuedAt: string;
}

/** Sends job commands (`<prefix>cmd.jobs.<Type>`); refusals become JobCommandErrors, silence a 503. */
export class JobCommandSender {
  private readonly names: NatsNames;

  constructor(private readonly deps: { readonly commands: CommandClient; readonly natsPrefix: string; readonly timeoutMs?: number }) {
    this.names = natsNames(deps.natsPrefix);
  }

  async send<T extends JobCommandType>(type: T, payload: JobCommandInput<T>, target: JobCommandTarget): Promise<JobCommandAnswer> {
    const traceContext = traceContextFromActive();
    try {
      return await this.deps.commands.send<JobCommandAnswer>(
        this.names.commandSubject('jobs', type),
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
      throw refusalOf(error, type);
    }
  }
}

function refusalOf(error: unknown, type: string): Error {
  if (MessagingError.is(error, MessagingErrorCode.CommandFailed)) {
    const body = error.details.error;
    if (body && typeof body === 'object' && typeof (body as { code?: unknown }).code === 'string') {
      const { code, message } = body as { code: string; message?: unknown };
      return new JobCommandError(code, typeof message === 'string' ? message : code);
    }
  }
  if (MessagingError.is(error, MessagingErrorCode.Timeout) || MessagingError.is(error, MessagingErrorCode.NoResponders) || MessagingError.is(error, MessagingErrorCode.Unavailable)) {
    return new GatewayError(GatewayErrorCode.Unavailable, `${type} got no answer; resend with the same Idempotency-Key`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
