import { CommandRunner, type LoadedStream } from '@steward/commands';
import { JobCommandPayloads, JobStreams, jobEventRegistry, type JobCommandAnswer, type JobCommandType } from '@steward/contracts';
import type { EventStore } from '@steward/event-store';
import type { AnyEnvelopedJobCommand, AnyJobCommand } from './job.command';
import { jobDecider, type JobState } from './job.decider';
import { JobError, JobErrorCode } from './job.error';

/** Who may write jobs: the re-check of the gateway's decision inside the service. */
export type JobAuthorizer = (command: AnyEnvelopedJobCommand) => Promise<void> | void;

export interface JobCommandRunnerOptions {
  readonly store: EventStore;
  /** Extra check before deciding (throws a JobError to refuse). Default: the envelope's tenant wall only. */
  readonly authorize?: JobAuthorizer;
  /** Attempts on a concurrency conflict before JOB_CONFLICT. Default 5. */
  readonly maxAttempts?: number;
}

/**
 * Carries out a job command with @steward/commands' runner: parse envelope
 * and payload, load the job's stream, decide, append at the expected revision
 * with event ids derived from the command id (a resent command appends
 * nothing new). On a concurrency conflict the command is decided again on the
 * fresh state (safe: every rule is checked again and known steps are skipped).
 */
export class JobCommandRunner {
  private readonly commands: CommandRunner<JobErrorCode>;

  constructor(private readonly options: JobCommandRunnerOptions) {
    this.commands = new CommandRunner({ store: options.store, registry: jobEventRegistry, errors: JobError, codes: JobErrorCode, maxAttempts: options.maxAttempts ?? 5 });
  }

  /** For NATS handlers: refusals become RpcExceptions carrying a JobErrorBody. */
  run(type: JobCommandType, raw: unknown): Promise<JobCommandAnswer> {
    return this.commands.handle(type, raw, (envelope) => {
      const payload = this.commands.parsePayload(type, JobCommandPayloads[type], envelope);
      return this.execute({ type, payload, actor: envelope.actor, at: envelope.issuedAt, envelope } as AnyEnvelopedJobCommand);
    });
  }

  /** In-process callers (the timeout sweeper): refusals stay JobErrors. */
  async execute(command: AnyEnvelopedJobCommand): Promise<JobCommandAnswer> {
    await this.options.authorize?.(command);
    const { envelope } = command;
    const { workspaceId, jobId } = command.payload;
    const answer = await this.commands.commit(envelope, {
      load: () => this.load(workspaceId, jobId),
      streams: (loaded) => [loaded],
      decide: (loaded) => jobDecider.decide(command as AnyJobCommand, loaded.state),
      scopeOf: (event) => ({ organizationId: envelope.organizationId, workspaceId: event.data.workspaceId }),
    });
    const stepsRecorded = answer.events.filter((event) => event.type === 'JobStepRecorded').length;
    return {
      ok: true,
      commandId: envelope.commandId,
      jobId,
      changed: answer.changed,
      replayed: answer.replayed,
      stepsRecorded,
      stepsSkipped: command.type === 'RecordJobSteps' ? command.payload.steps.length - stepsRecorded : 0,
      ...(answer.position !== undefined ? { position: answer.position } : {}),
      events: answer.events,
    };
  }

  load(workspaceId: string, jobId: string): Promise<LoadedStream<JobState>> {
    return this.commands.load(JobStreams.job(workspaceId, jobId), jobDecider);
  }
}
