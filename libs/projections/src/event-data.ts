import type { Transaction } from 'kysely';
import type { RecordedEvent } from '@steward/event-store';
import type { ProjectionEventHandler } from './projection';

/** Applies one event, given its data as the event's type declares it. */
export type EventDataHandler<DB, TData> = (trx: Transaction<DB>, data: TData, event: RecordedEvent) => Promise<void>;

/** One handler per event type of the union `E`, each taking that type's data. */
export type EventDataHandlers<DB, E extends { readonly type: string; readonly data: unknown }> = {
  readonly [T in E['type']]: EventDataHandler<DB, Extract<E, { type: T }>['data']>;
};

/**
 * A projection's handlers written against each event's typed data: the
 * projection host calls them with the recorded event; `event.data` is what
 * the store validated on append, so it is taken as its type declares it.
 */
export function withEventData<DB, E extends { readonly type: string; readonly data: unknown }>(
  handlers: EventDataHandlers<DB, E>,
): Record<E['type'], ProjectionEventHandler<DB>> {
  const applied = Object.entries<EventDataHandler<DB, unknown>>(handlers).map(([type, handle]): [string, ProjectionEventHandler<DB>] => [
    type,
    (trx, event) => handle(trx, event.data, event),
  ]);
  return Object.fromEntries(applied) as Record<E['type'], ProjectionEventHandler<DB>>;
}
