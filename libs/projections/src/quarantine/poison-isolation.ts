import { sql, type Transaction } from 'kysely';
import type { RecordedEvent } from '@steward/event-store';
import { ProjectionError, ProjectionErrorCode } from '../projection.error';
import { mayBePoison, redactedMessageOf } from './transient-failure';

export interface PoisonedEvent {
  readonly event: RecordedEvent;
  readonly error: unknown;
}

/**
 * Applies `events` inside `trx`, leaving out those that cannot be applied: the
 * slice is tried in a savepoint; when it fails for a reason that may be its
 * events (not a transient failure), it is rolled back to the savepoint and its
 * two halves are tried in order, down to single events. Everything else is
 * applied once, in the original order; the events that fail on their own are
 * returned. A transient failure rolls back nothing itself and is thrown; so is a batch of several events
 * where every one fails alone (`NothingApplies`).
 */
export async function applyIsolatingPoison(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  trx: Transaction<any>,
  events: readonly RecordedEvent[],
  apply: (events: readonly RecordedEvent[]) => Promise<void>,
): Promise<PoisonedEvent[]> {
  const poisoned: PoisonedEvent[] = [];
  let savepoints = 0;
  const attempt = async (slice: readonly RecordedEvent[]): Promise<void> => {
    if (slice.length === 0) return;
    const savepoint = sql.id(`steward_isolate_${savepoints++}`);
    await sql`SAVEPOINT ${savepoint}`.execute(trx);
    let failure: unknown;
    try {
      await apply(slice);
    } catch (error) {
      if (!mayBePoison(error)) throw error;
      failure = error;
      await sql`ROLLBACK TO SAVEPOINT ${savepoint}`.execute(trx);
    }
    await sql`RELEASE SAVEPOINT ${savepoint}`.execute(trx);
    if (failure === undefined) return;
    if (slice.length === 1) {
      poisoned.push({ event: slice[0]!, error: failure });
      return;
    }
    const middle = Math.ceil(slice.length / 2);
    await attempt(slice.slice(0, middle));
    await attempt(slice.slice(middle));
  };
  await attempt(events);
  if (poisoned.length === events.length && events.length > 1) {
    // A broken deploy or read model fails every event: quarantining them all would empty the read model into
    // the quarantine, and a later replay could not restore their order. Stop and retry instead, as before.
    throw new ProjectionError(
      ProjectionErrorCode.NothingApplies,
      `every one of the ${events.length} events of the batch failed on its own (the code or the read model is at fault, not the events): ${redactedMessageOf(poisoned[0]!.error)}`,
      {},
      { cause: poisoned[0]!.error },
    );
  }
  return poisoned;
}
