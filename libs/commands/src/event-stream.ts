import { ContractError, type EventRegistry } from '@steward/contracts';
import type { EventStore, ExpectedRevision, GlobalPosition } from '@steward/event-store';

/** How an aggregate folds its events: a fresh state and the event types it knows. */
export interface Aggregate<S, E extends { readonly type: string }> {
  readonly initial: S;
  readonly types: ReadonlySet<string>;
  evolve(state: S, event: E): S;
}

/** One stream as loaded for a decision: its state and the revision to append at. */
export interface LoadedStream<S> {
  readonly streamId: string;
  readonly state: S;
  readonly expectedRevision: ExpectedRevision;
  /** Every event id in the stream with its type, revision and global position: to recognise a resent command and answer as it did. */
  readonly recorded: ReadonlyMap<string, { readonly type: string; readonly revision: bigint; readonly position: GlobalPosition }>;
}

/**
 * A stored event this code cannot read (a change of schema without an upcaster, data written past the edge): the
 * server's fault, not the command's. It is no refusal, so the caller is not told its request was invalid, and the
 * message names the event, never its data.
 */
export class UnreadableStreamError extends Error {
  constructor(
    readonly streamId: string,
    readonly eventId: string,
    readonly eventType: string,
    readonly eventVersion: number,
    cause: ContractError,
  ) {
    super(`stream ${streamId}: event ${eventId} (${eventType} v${eventVersion}) cannot be read by this code`, { cause });
    this.name = 'UnreadableStreamError';
  }
}

/** Reads a stream and folds the events `aggregate` knows, each upcast to its latest version. */
export async function loadStream<S, E extends { readonly type: string }>(
  store: EventStore,
  registry: EventRegistry,
  streamId: string,
  aggregate: Aggregate<S, E>,
): Promise<LoadedStream<S>> {
  const history = await store.readStream(streamId);
  let state = aggregate.initial;
  const recorded = new Map<string, { type: string; revision: bigint; position: GlobalPosition }>();
  for (const event of history) {
    recorded.set(event.eventId, { type: event.type, revision: event.streamRevision, position: event.position });
    if (!aggregate.types.has(event.type)) continue;
    let upcasted: ReturnType<EventRegistry['upcast']>;
    try {
      upcasted = registry.upcast({ ...event, streamId });
    } catch (error) {
      if (error instanceof ContractError) throw new UnreadableStreamError(streamId, event.eventId, event.type, event.version, error);
      throw error;
    }
    state = aggregate.evolve(state, { type: upcasted.type, data: upcasted.data } as unknown as E);
  }
  const last = history[history.length - 1];
  return { streamId, state, expectedRevision: last ? last.streamRevision : 'no_stream', recorded };
}
