import type { EventRegistry } from '@steward/contracts';
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
    const upcasted = registry.upcast({ ...event, streamId });
    state = aggregate.evolve(state, { type: upcasted.type, data: upcasted.data } as unknown as E);
  }
  const last = history[history.length - 1];
  return { streamId, state, expectedRevision: last ? last.streamRevision : 'no_stream', recorded };
}
