import { sql, type Kysely, type Transaction } from 'kysely';
import type pg from 'pg';
import type { GlobalPosition } from '@steward/event-store';
import type { ProjectionsDB } from '../checkpoints.table';
import type { PoisonedEvent } from './poison-isolation';
import type { QuarantineRow } from './quarantine.table';
import { errorCodeOf, errorMessageOf } from './transient-failure';

const SCHEMA = 'steward_projections';

/** One quarantined event, as operators see it. */
export interface QuarantinedEvent {
  readonly projection: string;
  readonly eventId: string;
  readonly streamId: string;
  readonly streamRevision: bigint;
  readonly eventType: string;
  readonly eventVersion: number;
  readonly position: GlobalPosition;
  readonly recordedAt: Date;
  readonly errorCode: string | null;
  readonly errorMessage: string;
  readonly quarantinedAt: Date;
  readonly replayAttempts: number;
  readonly lastReplayAt: Date | null;
}

type Db = Kysely<ProjectionsDB> | Transaction<ProjectionsDB>;

/** `steward_projections.quarantine`: the events each projection skipped because it could not apply them. */
export class QuarantineRepository {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(private readonly db: Kysely<any>) {}

  private static on(db: Db): Kysely<ProjectionsDB> {
    return db.withSchema(SCHEMA);
  }

  /** Records skipped events; call in the transaction that applies the rest of their batch. */
  async add(trx: Db, projection: string, poisoned: readonly PoisonedEvent[]): Promise<void> {
    if (poisoned.length === 0) return;
    const rows = poisoned.map(({ event, error }) => ({
      projection,
      event_id: event.eventId,
      stream_id: event.streamId,
      stream_revision: event.streamRevision.toString(),
      event_type: event.type,
      event_version: event.version,
      commit_position: event.position.commit.toString(),
      prepare_position: event.position.prepare.toString(),
      recorded_at: event.recordedAt,
      error_code: errorCodeOf(error),
      error_message: errorMessageOf(error),
    }));
    await QuarantineRepository.on(trx)
      .insertInto('quarantine')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['projection', 'event_id']).doUpdateSet((eb) => ({
          error_code: eb.ref('excluded.error_code'),
          error_message: eb.ref('excluded.error_message'),
          quarantined_at: sql<Date>`now()`,
        })),
      )
      .execute();
  }

  /** A projection's quarantined events in store order (the order a replay applies them in). */
  async list(projection: string, trx?: Db): Promise<QuarantinedEvent[]> {
    const rows = await QuarantineRepository.on(trx ?? (this.db as Kysely<ProjectionsDB>))
      .selectFrom('quarantine')
      .selectAll()
      .where('projection', '=', projection)
      .orderBy('commit_position')
      .orderBy('prepare_position')
      .execute();
    return rows.map(toQuarantinedEvent);
  }

  /** Quarantined events per projection (projections with none are absent). */
  async counts(): Promise<Map<string, number>> {
    const rows = await QuarantineRepository.on(this.db as Kysely<ProjectionsDB>)
      .selectFrom('quarantine')
      .select(['projection', sql<string>`count(*)`.as('events')])
      .groupBy('projection')
      .execute();
    return new Map(rows.map((row) => [row.projection, Number(row.events)]));
  }

  /** 0 while the table does not exist yet (a status read before anything migrated the database). */
  async count(projection: string): Promise<number> {
    const row = await QuarantineRepository.on(this.db as Kysely<ProjectionsDB>)
      .selectFrom('quarantine')
      .select(sql<string>`count(*)`.as('events'))
      .where('projection', '=', projection)
      .executeTakeFirstOrThrow()
      .catch((error: unknown) => {
        if (isMissingTable(error)) return { events: '0' };
        throw error;
      });
    return Number(row.events);
  }

  /**
   * Takes one event out of the quarantine, in the transaction that applies it: true when this
   * caller removed it (a concurrent replay waits on the row, then finds it gone).
   */
  async remove(trx: Db, projection: string, eventId: string): Promise<boolean> {
    const removed = await QuarantineRepository.on(trx)
      .deleteFrom('quarantine')
      .where('projection', '=', projection)
      .where('event_id', '=', eventId)
      .returning('event_id')
      .executeTakeFirst();
    return removed !== undefined;
  }

  /** A replay that failed again: the event stays, with the new error. */
  async recordFailedReplay(projection: string, eventId: string, error: unknown): Promise<void> {
    await QuarantineRepository.on(this.db as Kysely<ProjectionsDB>)
      .updateTable('quarantine')
      .set({
        replay_attempts: sql<number>`replay_attempts + 1`,
        last_replay_at: sql<Date>`now()`,
        error_code: errorCodeOf(error),
        error_message: errorMessageOf(error),
      })
      .where('projection', '=', projection)
      .where('event_id', '=', eventId)
      .execute();
  }

  /** A rebuild's swap: the new read model was built without exactly these events. */
  async replaceAll(trx: Db, projection: string, poisoned: readonly PoisonedEvent[]): Promise<void> {
    await QuarantineRepository.on(trx).deleteFrom('quarantine').where('projection', '=', projection).execute();
    await this.add(trx, projection, poisoned);
  }
}

/**
 * Quarantined events per projection, straight from a pool (the gateway's readiness): an empty map
 * while the table does not exist yet (the projections service has not migrated this database).
 */
export async function readQuarantineCounts(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ projection: string; events: string }>(
    'SELECT projection, count(*) AS events FROM steward_projections.quarantine GROUP BY projection',
  ).catch((error: unknown) => {
    if (isMissingTable(error)) return { rows: [] };
    throw error;
  });
  return Object.fromEntries(rows.map((row) => [row.projection, Number(row.events)]));
}

/** 42P01 / 3F000: the table or its schema is not there yet, so nothing is quarantined. */
function isMissingTable(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '42P01' || code === '3F000';
}

function toQuarantinedEvent(row: QuarantineRow): QuarantinedEvent {
  return {
    projection: row.projection,
    eventId: row.event_id,
    streamId: row.stream_id,
    streamRevision: BigInt(row.stream_revision),
    eventType: row.event_type,
    eventVersion: row.event_version,
    position: { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) },
    recordedAt: row.recorded_at,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    quarantinedAt: row.quarantined_at,
    replayAttempts: row.replay_attempts,
    lastReplayAt: row.last_replay_at,
  };
}
