import { SpanKind } from '@opentelemetry/api';
import { RpcException } from '@nestjs/microservices';
import {
  CommandEnvelopeSchema,
  ContractError,
  eventIdFor,
  type AppendedEvent,
  type CommandAnswer,
  type CommandEnvelope,
  type EventRegistry,
} from '@steward/contracts';
import {
  EventStoreError,
  EventStoreErrorCode,
  comparePositions,
  formatPosition,
  type AppendRequest,
  type EventStore,
  type GlobalPosition,
  type NewEvent,
} from '@steward/event-store';
import { contextFromTraceContext, withSpan } from '@steward/observability';
import type { z } from 'zod';
import type { CommandError, CommandErrorClass, RunnerErrorCodes } from './command-error';
import { loadStream, type Fold, type LoadedStream } from './event-stream';

export interface CommandRunnerOptions<TCode extends string> {
  readonly store: EventStore;
  /** The context's events: folded when a stream is loaded, validated when appended. */
  readonly registry: EventRegistry;
  /** The context's error class, and its codes for the refusals the runner makes itself. */
  readonly errors: CommandErrorClass<TCode>;
  readonly codes: RunnerErrorCodes<TCode>;
  /** Attempts on a concurrency conflict before the Conflict refusal. */
  readonly maxAttempts: number;
  /** The refusal a failure only this context knows means (its secret store's), or undefined: not a refusal. */
  readonly refusalOf?: (error: unknown) => CommandError<TCode> | undefined;
}

/** An event as a decider returns it. */
export interface DecidedEvent {
  readonly type: string;
  readonly data: unknown;
}

/** The tenant an event's metadata names. */
export interface EventScope {
  readonly organizationId?: string | undefined;
  readonly workspaceId?: string | undefined;
}

/** One attempt at a command: load what it needs, decide on it, say where each event goes. */
export interface CommandPlan<L, E extends DecidedEvent> {
  /** Loads the streams the decision needs (again on every attempt). */
  load(): Promise<L>;
  /** The streams `load` read: where a resent command's events are looked for, and the revisions to append at. */
  streams(loaded: L): ReadonlyArray<LoadedStream<unknown>>;
  /** The events the command produces on this state (authorization included); none: it changes nothing. */
  decide(loaded: L): readonly E[] | Promise<readonly E[]>;
  /** The stream each event goes to. Default: the one stream loaded. */
  streamOf?(event: E): string;
  /** The organization and workspace recorded in each event's metadata. */
  scopeOf(event: E): EventScope;
  /** Runs once the events are stored by this attempt (not for a resent command). */
  afterAppend?(loaded: L): Promise<void>;
}

/**
 * The one way a context carries out a command on its event streams: parse
 * the envelope and payload (the tenant wall included), load the streams,
 * decide, append every event at its stream's expected revision with event ids
 * derived from the command id: a resent command appends nothing new and
 * answers `replayed` with the events the first one appended. On a concurrency
 * conflict the command is loaded and decided again on the fresh state (safe:
 * every rule is checked again), at most `maxAttempts` times, then Conflict.
 */
export class CommandRunner<TCode extends string> {
  constructor(private readonly options: CommandRunnerOptions<TCode>) {}

  load<S, E extends DecidedEvent>(streamId: string, fold: Fold<S, E>): Promise<LoadedStream<S>> {
    return loadStream(this.options.store, this.options.registry, streamId, fold);
  }

  /**
   * For NATS handlers: parses the envelope, continues the caller's trace (the
   * gateway's request) in a `command.handle` span, runs `execute`; refusals
   * become RpcExceptions carrying the context's error body.
   */
  async handle<A>(type: string, raw: unknown, execute: (envelope: CommandEnvelope) => Promise<A>): Promise<A> {
    let envelope: CommandEnvelope;
    try {
      envelope = this.parseEnvelope(type, raw);
    } catch (error) {
      throw this.toRpcException(error);
    }
    return withSpan(
      'command.handle',
      { 'steward.command.type': type, 'steward.command.id': envelope.commandId },
      async () => {
        try {
          return await execute(envelope);
        } catch (error) {
          throw this.toRpcException(error);
        }
      },
      { kind: SpanKind.SERVER, parent: contextFromTraceContext(envelope.traceContext) },
    );
  }

  parseEnvelope(type: string, raw: unknown): CommandEnvelope {
    const parsed = CommandEnvelopeSchema.safeParse(raw);
    if (!parsed.success) throw this.invalid(`not a command envelope: ${describeIssues(parsed.error)}`, parsed.error);
    if (parsed.data.type !== type) throw this.refuse('InvalidCommand', `${parsed.data.type} sent to the ${type} handler`);
    return parsed.data;
  }

  /**
   * Validates the payload of a `type` command. The tenant wall: a command
   * scoped in its envelope acts inside that organization and workspace only.
   * Refusals never echo the payload (it may hold a secret).
   */
  parsePayload<TSchema extends z.ZodType>(type: string, schema: TSchema, envelope: CommandEnvelope): z.output<TSchema> {
    const parsed = schema.safeParse(envelope.payload);
    if (!parsed.success) throw this.invalid(`${type}: ${describeIssues(parsed.error)}`, parsed.error);
    const target = parsed.data as { organizationId?: unknown; workspaceId?: unknown };
    if (envelope.workspaceId && typeof target.workspaceId === 'string' && envelope.workspaceId !== target.workspaceId) {
      throw this.refuse('NotFound', `no workspace ${target.workspaceId} in ${envelope.workspaceId}`);
    }
    if (envelope.organizationId && typeof target.organizationId === 'string' && envelope.organizationId !== target.organizationId) {
      throw this.refuse('NotFound', `no organization ${target.organizationId} in ${envelope.organizationId}`);
    }
    return parsed.data;
  }

  /** Load → replay check → decide → append at the expected revisions, again on a conflict. */
  async commit<L, E extends DecidedEvent>(envelope: CommandEnvelope, plan: CommandPlan<L, E>): Promise<CommandAnswer> {
    const answer = (changed: boolean, replayed: boolean, events: readonly AppendedEvent[], position?: GlobalPosition): CommandAnswer => ({
      ok: true,
      commandId: envelope.commandId,
      changed,
      replayed,
      events,
      ...(position ? { position: formatPosition(position) } : {}),
    });
    for (let attempt = 1; ; attempt++) {
      const loaded = await plan.load();
      const streams = plan.streams(loaded);
      const replayed = findReplay(envelope.commandId, streams);
      if (replayed) return answer(true, true, replayed.events, replayed.position);
      const events = await plan.decide(loaded);
      if (events.length === 0) return answer(false, false, []);
      let appended: { events: AppendedEvent[]; position: GlobalPosition };
      try {
        appended = await this.append(envelope, plan, streams, events);
      } catch (error) {
        if (!EventStoreError.isConflict(error)) throw error;
        if (attempt < this.options.maxAttempts) continue;
        throw this.refuse('Conflict', `${envelope.type} kept meeting concurrent changes; send it again`);
      }
      await plan.afterAppend?.(loaded);
      return answer(true, false, appended.events, appended.position);
    }
  }

  /** The context's refusal `error` means, or undefined when it is none (a bug, to be seen as such). */
  refusal(error: unknown): CommandError<TCode> | undefined {
    if (error instanceof this.options.errors) return error;
    if (error instanceof ContractError) return this.refuse('InvalidCommand', error.message);
    if (error instanceof EventStoreError) {
      // A conflict's store message names streams and revisions: internal, and another caller's when ids collide.
      if (error.code === EventStoreErrorCode.WrongExpectedRevision) return this.refuse('Conflict', 'a concurrent change met this command; send it again');
      if (error.code === EventStoreErrorCode.IdempotencyViolation) {
        return this.refuse('Conflict', 'what this command would record conflicts with what is already recorded under the same ids');
      }
      return this.refuse(error.code === EventStoreErrorCode.Unavailable ? 'Unavailable' : 'InvalidCommand', error.message);
    }
    return this.options.refusalOf?.(error);
  }

  private refuse(code: keyof RunnerErrorCodes<TCode>, message: string, field?: string): CommandError<TCode> {
    return new this.options.errors(this.options.codes[code], message, field);
  }

  private invalid(message: string, error: z.ZodError): CommandError<TCode> {
    return this.refuse('InvalidCommand', message, error.issues[0]?.path.join('.') || undefined);
  }

  private toRpcException(error: unknown): RpcException {
    if (error instanceof RpcException) return error;
    const refusal = this.refusal(error);
    if (refusal) return new RpcException(refusal.toBody());
    throw error;
  }

  private async append<L, E extends DecidedEvent>(
    envelope: CommandEnvelope,
    plan: CommandPlan<L, E>,
    streams: ReadonlyArray<LoadedStream<unknown>>,
    events: readonly E[],
  ): Promise<{ events: AppendedEvent[]; position: GlobalPosition }> {
    const byStream = new Map<string, NewEvent[]>();
    const streamIds = events.map((event, index) => {
      const streamId = plan.streamOf ? plan.streamOf(event) : onlyStream(envelope, streams);
      const newEvent = this.toNewEvent(envelope, event, index, plan.scopeOf(event));
      const batch = byStream.get(streamId);
      if (batch) batch.push(newEvent);
      else byStream.set(streamId, [newEvent]);
      return streamId;
    });
    const requests: AppendRequest[] = [...byStream].map(([streamId, streamEvents]) => {
      const loaded = streams.find((stream) => stream.streamId === streamId);
      if (!loaded) throw new Error(`${envelope.type} decided an event for ${streamId}, which it did not load`);
      return { streamId, events: streamEvents, expectedRevision: loaded.expectedRevision };
    });
    const { store } = this.options;
    const results =
      requests.length === 1
        ? [await store.append(requests[0]!.streamId, requests[0]!.events, { expectedRevision: requests[0]!.expectedRevision })]
        : await store.appendMany(requests);
    // Each stream's events end at its nextExpectedRevision.
    const next = new Map<string, bigint>();
    requests.forEach((request, i) => next.set(request.streamId, results[i]!.nextExpectedRevision - BigInt(request.events.length) + 1n));
    const appended = events.map((event, index) => {
      const streamId = streamIds[index]!;
      const revision = next.get(streamId)!;
      next.set(streamId, revision + 1n);
      return { type: event.type, streamId, revision: revision.toString() };
    });
    return { events: appended, position: results.map((result) => result.position).reduce(latest) };
  }

  private toNewEvent(envelope: CommandEnvelope, event: DecidedEvent, index: number, scope: EventScope): NewEvent {
    const { registry } = this.options;
    const version = registry.latestVersion(event.type);
    return {
      // Derived from the command id: a resent command appends nothing new.
      eventId: eventIdFor(envelope.commandId, index),
      type: event.type,
      version,
      data: registry.validate(event.type, version, event.data),
      metadata: {
        correlationId: envelope.correlationId ?? envelope.commandId,
        causationId: envelope.causationId ?? envelope.commandId,
        actor: envelope.actor,
        ...(scope.organizationId ? { organizationId: scope.organizationId } : {}),
        ...(scope.workspaceId ? { workspaceId: scope.workspaceId } : {}),
        ...(envelope.traceContext ? { traceContext: envelope.traceContext } : {}),
        occurredAt: envelope.issuedAt,
      },
    };
  }
}

/** Zod's issues as one line: `path: message; …` (never the values). */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function onlyStream(envelope: CommandEnvelope, streams: ReadonlyArray<LoadedStream<unknown>>): string {
  if (streams.length !== 1) throw new Error(`${envelope.type} loaded ${streams.length} streams: say which stream each event goes to`);
  return streams[0]!.streamId;
}

/** The events a command with this id appended already, in order, and the position of the last (undefined: none). */
function findReplay(commandId: string, streams: ReadonlyArray<LoadedStream<unknown>>): { events: AppendedEvent[]; position: GlobalPosition } | undefined {
  const found: AppendedEvent[] = [];
  let position: GlobalPosition | undefined;
  for (let index = 0; ; index++) {
    const id = eventIdFor(commandId, index);
    const stream = streams.find((candidate) => candidate.recorded.has(id));
    if (!stream) break;
    const event = stream.recorded.get(id)!;
    found.push({ type: event.type, streamId: stream.streamId, revision: event.revision.toString() });
    position = position ? latest(position, event.position) : event.position;
  }
  return position ? { events: found, position } : undefined;
}

function latest(a: GlobalPosition, b: GlobalPosition): GlobalPosition {
  return comparePositions(a, b) >= 0 ? a : b;
}
