import { ContractError, type EventRegistry } from '@steward/contracts';
import type { EventStore, ExpectedRevision, GlobalPosition } from '@steward/event-store';

/**
 * How a stream folds into a state: the state before any event and one step.
 * `evolve` leaves the state as it is for an event it does not know.
 */
export interface Fold<S, E> {
  readonly initialState: S;
  evolve(state: S, event: E): S;
}

/**
 * An aggregate's rules, as in emmett: `decide` answers a command with the
 * events it causes on the state `evolve` folds from the events recorded so far.
 * Pure: no I/O, no clock, no randomness (time and ids come in on the command).
 */
export interface Decider<C, S, E> extends Fold<S, E> {
  decide(command: C, state: S): E[];
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

/** Reads a stream and folds its events, each upcast to its latest version. */
export async function loadStream<S, E extends { readonly type: string }>(
  store: EventStore,
  registry: EventRegistry,
  streamId: string,
  fold: Fold<S, E>,
): Promise<LoadedStream<S>> {
  const history = await store.readStream(streamId);
  let state = fold.initialState;
  const recorded = new Map<string, { type: string; revision: bigint; position: GlobalPosition }>();
  for (const event of history) {
    recorded.set(event.eventId, { type: event.type, revision: event.streamRevision, position: event.position });
    let upcasted: ReturnType<EventRegistry['upcast']>;
    try {
      upcasted = registry.upcast({ ...event, streamId });
    } catch (error) {
      if (error instanceof ContractError) throw new UnreadableStreamError(streamId, event.eventId, event.type, event.version, error);
      throw error;
    }
    state = fold.evolve(state, { type: upcasted.type, data: upcasted.data } as unknown as E);
  }
  const last = history[history.length - 1];
  return { streamId, state, expectedRevision: last ? last.streamRevision : 'no_stream', recorded };
}
