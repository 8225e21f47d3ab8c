import { SpanKind } from '@opentelemetry/api';
import { RpcException } from '@nestjs/microservices';
import {
  CommandEnvelopeSchema,
  ContractError,
  JobCommandPayloads,
  JobStreams,
  eventIdFor,
  jobEventRegistry,
  type CommandEnvelope,
  type JobCommandAnswer,
  type JobCommandType,
  type JobEvent,
} from '@steward/contracts';
import { EventStoreError, EventStoreErrorCode, type EventStore, type ExpectedRevision, type NewEvent } from '@steward/event-store';
import { contextFromTraceContext, withSpan } from '@steward/observability';
import type { z } from 'zod';
import type { AnyEnvelopedJobCommand, AnyJobCommand } from './job.command';
import { decideJob } from './job.decider';
import { JobError, JobErrorCode } from './job.error';
import { JOB_EVENT_TYPES, evolveJob, initialJobState, type JobState } from './job.state';

/** Who may write jobs: the re-check of the gateway's decision inside the service. */
export type JobAuthorizer = (command: AnyEnvelopedJobCommand) => Promise<void> | void;

export interface JobCommandRunnerOptions {
  readonly store: EventStore;
  /** Extra check before deciding (throws a JobError to refuse). Default: the envelope's tenant wall only. */
  readonly authorize?: JobAuthorizer;
  /** Attempts on a concurrency conflict before JOB_CONFLICT. Default 5. */
  readonly maxAttempts?: number;
}

interface LoadedJob {
  readonly streamId: string;
  readonly state: JobState;
  readonly expectedRevision: ExpectedRevision;
  readonly recorded: ReadonlySet<string>;
}

/**
 * Carries out a job command: parse envelope and payload, load the job's
 * stream, decide, append at the expected revision with event ids derived from
 * the command id (a resent command appends nothing new). On a concurrency
 * conflict the command is decided again on the fresh state (safe: every rule is
 * checked again and known steps are skipped).
 */
export class JobCommandRunner {
  private readonly maxAttempts: number;

  constructor(private readonly options: JobCommandRunnerOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  /** For NATS handlers: refusals become RpcExceptions carrying a JobErrorBody. */
  async run(type: JobCommandType, raw: unknown): Promise<JobCommandAnswer> {
    let envelope: CommandEnvelope;
    try {
      envelope = parseEnvelope(type, raw);
    } catch (error) {
      throw toRpcException(error);
    }
    return withSpan(
      'command.handle',
      { 'steward.command.type': type, 'steward.command.id': envelope.commandId },
      async () => {
        try {
          return await this.execute(toCommand(type, envelope));
        } catch (error) {
          throw toRpcException(error);
        }
      },
      { kind: SpanKind.SERVER, parent: contextFromTraceContext(envelope.traceContext) },
    );
  }

  /** In-process callers (the timeout sweeper): refusals stay JobErrors. */
  async execute(command: AnyEnvelopedJobCommand): Promise<JobCommandAnswer> {
    await this.options.authorize?.(command);
    const { envelope } = command;
    const { workspaceId, jobId } = command.payload;
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.load(workspaceId, jobId);
      const answer = (changed: boolean, replayed: boolean, recorded: number): JobCommandAnswer => ({
        ok: true,
        commandId: envelope.commandId,
        jobId,
        changed,
        replayed,
        stepsRecorded: recorded,
        stepsSkipped: command.type === 'RecordJobSteps' ? command.payload.steps.length - recorded : 0,
      });
      if (loaded.recorded.has(eventIdFor(envelope.commandId, 0))) {
        let count = 0;
        while (loaded.recorded.has(eventIdFor(envelope.commandId, count))) count++;
        return answer(true, true, command.type === 'RecordJobSteps' ? count : 0);
      }
      const events = decideJob(command as AnyJobCommand, loaded.state);
      const steps = events.filter((event) => event.type === 'JobStepRecorded').length;
      if (events.length === 0) return answer(false, false, 0);
      try {
        await this.options.store.append(loaded.streamId, events.map((event, index) => this.toNewEvent(envelope, event, index)), {
          expectedRevision: loaded.expectedRevision,
        });
        return answer(true, false, steps);
      } catch (error) {
        if (EventStoreError.isConflict(error) && attempt < this.maxAttempts) continue;
        if (EventStoreError.isConflict(error)) throw new JobError(JobErrorCode.Conflict, `${envelope.type} kept meeting concurrent changes; send it again`);
        throw error;
      }
    }
  }

  async load(workspaceId: string, jobId: string): Promise<LoadedJob> {
    const streamId = JobStreams.job(workspaceId, jobId);
    const history = await this.options.store.readStream(streamId);
    let state = initialJobState;
    const recorded = new Set<string>();
    for (const event of history) {
      recorded.add(event.eventId);
      if (!JOB_EVENT_TYPES.has(event.type)) continue;
      const upcasted = jobEventRegistry.upcast({ ...event, streamId });
      state = evolveJob(state, { type: upcasted.type, data: upcasted.data } as JobEvent);
    }
    const last = history[history.length - 1];
    return { streamId, state, expectedRevision: last ? last.streamRevision : 'no_stream', recorded };
  }

  private toNewEvent(envelope: CommandEnvelope, event: JobEvent, index: number): NewEvent {
    return {
      eventId: eventIdFor(envelope.commandId, index),
      type: event.type,
      version: jobEventRegistry.latestVersion(event.type),
      data: jobEventRegistry.validate(event.type, 1, event.data),
      metadata: {
        correlationId: envelope.correlationId ?? envelope.commandId,
        causationId: envelope.commandId,
        actor: envelope.actor,
        ...(envelope.organizationId ? { organizationId: envelope.organizationId } : {}),
        workspaceId: event.data.workspaceId,
        ...(envelope.traceContext ? { traceContext: envelope.traceContext } : {}),
        occurredAt: envelope.issuedAt,
      },
    };
  }
}

function parseEnvelope(type: JobCommandType, raw: unknown): CommandEnvelope {
  const parsed = CommandEnvelopeSchema.safeParse(raw);
  if (!parsed.success) throw new JobError(JobErrorCode.InvalidCommand, `not a command envelope: ${describe(parsed.error)}`);
  if (parsed.data.type !== type) throw new JobError(JobErrorCode.InvalidCommand, `${parsed.data.type} sent to the ${type} handler`);
  return parsed.data;
}

/** Validates the payload; the tenant wall: a command scoped to a workspace acts inside it only. */
export function toCommand(type: JobCommandType, envelope: CommandEnvelope): AnyEnvelopedJobCommand {
  const parsed = JobCommandPayloads[type].safeParse(envelope.payload);
  if (!parsed.success) throw new JobError(JobErrorCode.InvalidCommand, `${type}: ${describe(parsed.error)}`);
  const payload = parsed.data;
  if (envelope.workspaceId && envelope.workspaceId !== payload.workspaceId) {
    throw new JobError(JobErrorCode.NotFound, `no workspace ${payload.workspaceId} in ${envelope.workspaceId}`);
  }
  return { type, payload, actor: envelope.actor, at: envelope.issuedAt, envelope } as AnyEnvelopedJobCommand;
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function toRpcException(error: unknown): RpcException {
  if (error instanceof RpcException) return error;
  if (error instanceof JobError) return new RpcException(error.toBody());
  if (error instanceof ContractError) return new RpcException({ code: JobErrorCode.InvalidCommand, message: error.message });
  if (error instanceof EventStoreError) {
    const code =
      error.code === EventStoreErrorCode.WrongExpectedRevision || error.code === EventStoreErrorCode.IdempotencyViolation
        ? JobErrorCode.Conflict
        : error.code === EventStoreErrorCode.Unavailable
          ? JobErrorCode.Unavailable
          : JobErrorCode.InvalidCommand;
    return new RpcException({ code, message: error.message });
  }
  throw error;
}
