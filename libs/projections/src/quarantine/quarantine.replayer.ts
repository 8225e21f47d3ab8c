import { sql, type Kysely } from 'kysely';
import type { EventStore } from '@steward/event-store';
import { applyEvents, projectionSchema, readModelChannel, type ProjectionDefinition } from '../projection';
import { stderrLogger, type ProjectionLogger } from '../projection-logger';
import { QuarantineRepository, type QuarantinedEvent } from './quarantine.repository';
import { errorCodeOf, redactedMessageOf } from './transient-failure';

export interface ReplayQuarantineDeps {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly store: EventStore;
  readonly logger?: ProjectionLogger;
}

export interface ReplayedEvent {
  readonly event: QuarantinedEvent;
  /** `replayed`: applied and out of the quarantine; `failed`: still quarantined, with the new error; `gone`: another replay took it first. */
  readonly outcome: 'replayed' | 'failed' | 'gone';
  readonly error?: string;
}

export interface ReplayQuarantineResult {
  readonly projection: string;
  readonly replayed: number;
  readonly failed: number;
  readonly events: readonly ReplayedEvent[];
}

/**
 * Applies a projection's quarantined events once the code that refused them is fixed: in store
 * order, each in its own transaction with its removal from the quarantine, into the live read
 * model. A quarantined event was never applied (its batch was applied without it), and it leaves
 * the quarantine in the transaction that applies it, so each is applied exactly once, even by a
 * projection that sums. One that fails again stays, with the new error and an attempt counted.
 */
export async function replayQuarantine(deps: ReplayQuarantineDeps, projection: ProjectionDefinition): Promise<ReplayQuarantineResult> {
  const logger = deps.logger ?? stderrLogger;
  const quarantine = new QuarantineRepository(deps.db);
  const schema = projectionSchema(projection.name);
  const events: ReplayedEvent[] = [];
  for (const entry of await quarantine.list(projection.name)) {
    try {
      const [event] = await deps.store.readStream(entry.streamId, { fromRevision: entry.streamRevision, maxCount: 1 });
      if (!event || event.eventId !== entry.eventId) {
        throw new Error(`event ${entry.eventId} is no longer at ${entry.streamId}@${entry.streamRevision} in the store`);
      }
      const removed = await deps.db.transaction().execute(async (trx) => {
        if (!(await quarantine.remove(trx, projection.name, entry.eventId))) return false;
        await sql`SET LOCAL search_path TO ${sql.id(schema)}`.execute(trx);
        await applyEvents(projection, trx.withSchema(schema), [event], { projection: projection.name, schema });
        await sql`SELECT pg_notify(${readModelChannel(projection.name)}, '')`.execute(trx);
        return true;
      });
      events.push({ event: entry, outcome: removed ? 'replayed' : 'gone' });
      if (removed) logger.info({ projection: projection.name, eventId: entry.eventId, eventType: entry.eventType }, 'quarantined event replayed');
    } catch (error) {
      await quarantine.recordFailedReplay(projection.name, entry.eventId, error);
      events.push({ event: entry, outcome: 'failed', error: redactedMessageOf(error) });
      logger.error(
        { projection: projection.name, eventId: entry.eventId, eventType: entry.eventType, errorCode: errorCodeOf(error), err: redactedMessageOf(error) },
        'quarantined event failed again: it stays in the quarantine',
      );
    }
  }
  return {
    projection: projection.name,
    replayed: events.filter((event) => event.outcome === 'replayed').length,
    failed: events.filter((event) => event.outcome === 'failed').length,
    events,
  };
}
