import type { JobCommandAnswer, JobCommandInput, JobCommandType } from '@steward/contracts';
import { CommandRefusedError, CommandSender, type CommandSenderDeps, type CommandTarget } from '../command.sender';

/**
 * A job command the job-history service refused. `code` is its JobErrorCode
 * (`JOB_ALREADY_FINISHED`, …): give `JOB_ERROR_HTTP_STATUS` to the gateway's
 * `errorStatuses` and it answers with that status.
 */
export class JobCommandError extends CommandRefusedError {
  constructor(code: string, message: string, field?: string) {
    super(code, message, 'JobCommandError', field);
  }
}

export interface JobCommandTarget extends CommandTarget {
  readonly workspaceId: string;
}

/** Sends job commands (`<prefix>cmd.jobs.<Type>`); refusals become JobCommandErrors, silence a 503. */
export class JobCommandSender {
  private readonly sender: CommandSender<JobCommandAnswer, JobCommandTarget>;

  constructor(deps: CommandSenderDeps) {
    this.sender = new CommandSender(deps, {
      context: 'jobs',
      defaultTimeoutMs: 10_000,
      refused: ({ code, message, body }) => new JobCommandError(code, message, typeof body.field === 'string' ? body.field : undefined),
      resendHint: 'resend with the same Idempotency-Key',
    });
  }

  send<T extends JobCommandType>(type: T, payload: JobCommandInput<T>, target: JobCommandTarget): Promise<JobCommandAnswer> {
    return this.sender.send(type, payload, target);
  }
}
