import { RpcException } from '@nestjs/microservices';
import {
  CommandEnvelopeSchema,
  ContractError,
  TeamCommandPayloads,
  eventIdFor,
  teamEventRegistry,
  type Actor,
  type CommandEnvelope,
  type Role,
  type TeamAppendedEvent,
  type TeamCommandAnswer,
  type TeamCommandPayload,
  type TeamCommandType,
  type TeamEvent,
} from '@steward/contracts';
import {
  EventStoreError,
  EventStoreErrorCode,
  type AppendRequest,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
} from '@steward/event-store';
import { contextFromTraceContext, withSpan } from '@steward/observability';
import { SpanKind } from '@opentelemetry/api';
import { z } from 'zod';
import type { Aggregate, EnvelopedCommand } from './command';
import type { TeamAuthorizer } from './team-authorizer';
import { TeamError, TeamErrorCode } from './team.error';
import { streamOf } from './team-streams';

/** A stream as loaded for one decision: its state and the revision to append at. */
export interface Loaded<S> {
  readonly streamId: string;
  readonly state: S;
  readonly expectedRevision: ExpectedRevision;
  /** Event ids already in the stream, with type and revision: to recognise a resent command. */
  readonly recorded: ReadonlyMap<string, { readonly type: string; readonly revision: bigint }>;
}

/** One attempt at a command: load what it needs, then decide on it (authorization included). */
export interface CommandPlan<T extends TeamCommandType, L> {
  load(command: EnvelopedCommand<T>): Promise<L>;
  streams(loaded: L): ReadonlyArray<Loaded<unknown>>;
  decide(command: EnvelopedCommand<T>, loaded: L): TeamEvent[];
}

export interface TeamCommandRunnerOptions {
  readonly store: EventStore;
  readonly authorize: TeamAuthorizer;
  /** Attempts on a concurrency conflict before answering CONFLICT. Default 4. */
  readonly maxAttempts?: number;
}

/** How many events one command may produce: bounds the search for a resent command's events. */
const MAX_EVENTS_PER_COMMAND = 16;

/**
 * The one way a team command is carried out: parse the envelope and payload,
 * load the streams, authorize, decide, append every event at its stream's
 * expected revision in one atomic unit, with event ids derived from the
 * command id. On a concurrency conflict the command is loaded and decided
 * again on the fresh state (safe: every rule is checked again; a caller who
 * wants "only if nothing changed" states its precondition, e.g. expectedRole),
 * at most `maxAttempts` times, then CONFLICT.
 */
export class TeamCommandRunner {
  private readonly store: EventStore;
  private readonly authorizer: TeamAuthorizer;
  private readonly maxAttempts: number;

  constructor(options: TeamCommandRunnerOptions) {
    this.store = options.store;
    this.authorizer = options.authorize;
    this.maxAttempts = options.maxAttempts ?? 4;
  }

  async load<S, E extends TeamEvent>(streamId: string, aggregate: Aggregate<S, E>): Promise<Loaded<S>> {
    const history = await this.store.readStream(streamId);
    let state = aggregate.initial;
    const recorded = new Map<string, { type: string; revision: bigint }>();
    for (const event of history) {
      recorded.set(event.eventId, { type: event.type, revision: event.streamRevision });
      if (!aggregate.types.has(event.type)) continue;
      const upcasted = teamEventRegistry.upcast({ ...event, streamId });
      state = aggregate.evolve(state, { type: upcasted.type, data: upcasted.data } as E);
    }
    const last = history[history.length - 1];
    return { streamId, state, expectedRevision: last ? last.streamRevision : 'no_stream', recorded };
  }

  /** Throws FORBIDDEN unless the authorizer allows the command for `role`. */
  authorize(command: EnvelopedCommand<TeamCommandType>, role: Role | undefined): void {
    if (!this.authorizer({ envelope: command.envelope, action: command.type, role })) {
      throw new TeamError(TeamErrorCode.Forbidden, `${command.actor.type} ${command.actor.id} may not ${command.type}`);
    }
  }

  /** Runs one command end to end; refusals become RpcExceptions carrying a TeamErrorBody. */
  async run<T extends TeamCommandType, L>(type: T, raw: unknown, plan: CommandPlan<T, L>): Promise<TeamCommandAnswer> {
    let envelope: CommandEnvelope;
    try {
      envelope = parseEnvelope(type, raw);
    } catch (error) {
      throw toRpcException(error);
    }
    // Continues the caller's trace (the gateway's request) carried in the envelope.
    return withSpan(
      'command.handle',
      { 'steward.command.type': type, 'steward.command.id': envelope.commandId },
      async () => {
        try {
          return await this.execute(toCommand(type, envelope), envelope, plan);
        } catch (error) {
          throw toRpcException(error);
        }
      },
      { kind: SpanKind.SERVER, parent: contextFromTraceContext(envelope.traceContext) },
    );
  }

  private async execute<T extends TeamCommandType, L>(
    command: EnvelopedCommand<T>,
    envelope: CommandEnvelope,
    plan: CommandPlan<T, L>,
  ): Promise<TeamCommandAnswer> {
    for (let attempt = 1; ; attempt++) {
      const loaded = await plan.load(command);
      const streams = plan.streams(loaded);
      const replayed = findReplay(envelope.commandId, streams);
      if (replayed) return { ok: true, commandId: envelope.commandId, changed: replayed.length > 0, replayed: true, events: replayed };
      const events = plan.decide(command, loaded);
      if (events.length === 0) return { ok: true, commandId: envelope.commandId, changed: false, replayed: false, events: [] };
      try {
        const appended = await this.append(envelope, events, streams);
        return { ok: true, commandId: envelope.commandId, changed: true, replayed: false, events: appended };
      } catch (error) {
        if (EventStoreError.isConflict(error)) {
          if (attempt < this.maxAttempts) continue;
          throw new TeamError(TeamErrorCode.Conflict, `${envelope.type} kept meeting concurrent changes; send it again`);
        }
        throw error;
      }
    }
  }

  private async append(
    envelope: CommandEnvelope,
    events: readonly TeamEvent[],
    streams: ReadonlyArray<Loaded<unknown>>,
  ): Promise<TeamAppendedEvent[]> {
    if (events.length > MAX_EVENTS_PER_COMMAND) throw new Error(`${envelope.type} decided ${events.length} events`);
    const byStream = new Map<string, NewEvent[]>();
    const order: string[] = [];
    events.forEach((event, index) => {
      const streamId = streamOf(event);
      const data = teamEventRegistry.validate(event.type, 1, event.data);
      const scope = event.data as { organizationId?: string; workspaceId?: string };
      const newEvent: NewEvent = {
        // Derived from the command id: a resent command appends nothing new.
        eventId: eventIdFor(envelope.commandId, index),
        type: event.type,
        version: teamEventRegistry.latestVersion(event.type),
        data,
        metadata: {
          correlationId: envelope.correlationId ?? envelope.commandId,
          causationId: envelope.commandId,
          actor: envelope.actor,
          ...(scope.organizationId ? { organizationId: scope.organizationId } : {}),
          ...(scope.workspaceId ? { workspaceId: scope.workspaceId } : {}),
          ...(envelope.traceContext ? { traceContext: envelope.traceContext } : {}),
          occurredAt: envelope.issuedAt,
        },
      };
      byStream.set(streamId, [...(byStream.get(streamId) ?? []), newEvent]);
      order.push(streamId);
    });
    const requests: AppendRequest[] = [...byStream.entries()].map(([streamId, streamEvents]) => {
      const loaded = streams.find((stream) => stream.streamId === streamId);
      if (!loaded) throw new Error(`${envelope.type} decided an event for ${streamId}, which it did not load`);
      return { streamId, events: streamEvents, expectedRevision: loaded.expectedRevision };
    });
    const results =
      requests.length === 1
        ? [await this.store.append(requests[0]!.streamId, requests[0]!.events, { expectedRevision: requests[0]!.expectedRevision })]
        : await this.store.appendMany(requests);
    // Revisions: each stream's events end at its nextExpectedRevision.
    const next = new Map<string, bigint>();
    requests.forEach((request, i) => next.set(request.streamId, results[i]!.nextExpectedRevision - BigInt(request.events.length) + 1n));
    return events.map((event, index) => {
      const streamId = order[index]!;
      const revision = next.get(streamId)!;
      next.set(streamId, revision + 1n);
      return { type: event.type, streamId, revision: revision.toString() };
    });
  }
}

function parseEnvelope(type: TeamCommandType, raw: unknown): CommandEnvelope {
  const parsed = CommandEnvelopeSchema.safeParse(raw);
  if (!parsed.success) throw new TeamError(TeamErrorCode.InvalidCommand, `not a command envelope: ${describe(parsed.error)}`);
  if (parsed.data.type !== type) throw new TeamError(TeamErrorCode.InvalidCommand, `${parsed.data.type} sent to the ${type} handler`);
  return parsed.data;
}

function toCommand<T extends TeamCommandType>(type: T, envelope: CommandEnvelope): EnvelopedCommand<T> {
  const parsed = TeamCommandPayloads[type].safeParse(envelope.payload);
  if (!parsed.success) throw new TeamError(TeamErrorCode.InvalidCommand, `${type}: ${describe(parsed.error)}`);
  const payload = parsed.data as TeamCommandPayload<T>;
  // The tenant wall: a command scoped in its envelope acts inside that organization and workspace only.
  const target = payload as { organizationId?: string; workspaceId?: string };
  if (envelope.workspaceId && target.workspaceId && envelope.workspaceId !== target.workspaceId) {
    throw new TeamError(TeamErrorCode.NotFound, `no workspace ${target.workspaceId} in ${envelope.workspaceId}`);
  }
  if (envelope.organizationId && target.organizationId && envelope.organizationId !== target.organizationId) {
    throw new TeamError(TeamErrorCode.NotFound, `no organization ${target.organizationId} in ${envelope.organizationId}`);
  }
  const actor: Actor = envelope.actor;
  return { type, payload, actor, at: envelope.issuedAt, envelope };
}

function findReplay(commandId: string, streams: ReadonlyArray<Loaded<unknown>>): TeamAppendedEvent[] | undefined {
  const first = eventIdFor(commandId, 0);
  if (!streams.some((stream) => stream.recorded.has(first))) return undefined;
  const found: TeamAppendedEvent[] = [];
  for (let index = 0; index < MAX_EVENTS_PER_COMMAND; index++) {
    const id = eventIdFor(commandId, index);
    const stream = streams.find((s) => s.recorded.has(id));
    if (!stream) break;
    const event = stream.recorded.get(id)!;
    found.push({ type: event.type, streamId: stream.streamId, revision: event.revision.toString() });
  }
  return found;
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function toRpcException(error: unknown): RpcException {
  if (error instanceof RpcException) return error;
  if (error instanceof TeamError) return new RpcException(error.toBody());
  if (error instanceof ContractError) return new RpcException({ code: TeamErrorCode.InvalidCommand, message: error.message });
  if (error instanceof EventStoreError) {
    const code =
      error.code === EventStoreErrorCode.WrongExpectedRevision || error.code === EventStoreErrorCode.IdempotencyViolation
        ? TeamErrorCode.Conflict
        : error.code === EventStoreErrorCode.Unavailable
          ? TeamErrorCode.Unavailable
          : TeamErrorCode.InvalidCommand;
    return new RpcException({ code, message: error.message });
  }
  throw error;
}
