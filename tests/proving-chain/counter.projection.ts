import { sql } from 'kysely';
import { defineProjection } from '@steward/projections';
import type { RecordedEvent } from '@steward/event-store';

/**
 * The counters read model: a total per counter, and one row per applied event
 * with its global position, so a test can tell exactly which events a
 * checkpoint covers.
 *
 * `PROVING_SLOW_MS` (test only) makes every batch sleep inside its transaction
 * after announcing itself on stdout, so a test can SIGKILL the projector while
 * a batch is in flight.
 */
export const counterProjection = defineProjection({
  name: 'proving-counters',
  version: 1,
  eventTypes: ['CounterOpened', 'CounterIncremented'],
  async migrate(db) {
    await db.schema
      .createTable('counters')
      .addColumn('counter_id', 'text', (column) => column.primaryKey())
      .addColumn('name', 'text')
      .addColumn('total', 'bigint', (column) => column.notNull().defaultTo(0))
      .addColumn('increments', 'integer', (column) => column.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('counter_events')
      .addColumn('event_id', 'uuid', (column) => column.primaryKey())
      .addColumn('counter_id', 'text', (column) => column.notNull())
      .addColumn('commit_position', 'numeric', (column) => column.notNull())
      .addColumn('prepare_position', 'numeric', (column) => column.notNull())
      .execute();
  },
  async handle(trx, events: readonly RecordedEvent[]) {
    const slowMs = Number(process.env.PROVING_SLOW_MS ?? 0);
    if (slowMs > 0) {
      process.stdout.write(`batch-start ${events.length}\n`);
      await sql`SELECT pg_sleep(${slowMs / 1000})`.execute(trx);
    }
    const totals = new Map<string, { name?: string; total: number; increments: number }>();
    for (const event of events) {
      const data = event.data as { counterId: string; name?: string; by?: number };
      const entry = totals.get(data.counterId) ?? { total: 0, increments: 0 };
      if (event.type === 'CounterOpened') entry.name = data.name;
      else {
        entry.total += data.by ?? 0;
        entry.increments += 1;
      }
      totals.set(data.counterId, entry);
    }
    await trx
      .insertInto('counter_events')
      .values(
        events.map((event) => ({
          event_id: event.eventId,
          counter_id: (event.data as { counterId: string }).counterId,
          commit_position: event.position.commit.toString(),
          prepare_position: event.position.prepare.toString(),
        })),
      )
      .execute();
    await trx
      .insertInto('counters')
      .values([...totals].map(([counter_id, entry]) => ({ counter_id, name: entry.name ?? null, total: entry.total, increments: entry.increments })))
      .onConflict((conflict) =>
        conflict.column('counter_id').doUpdateSet({
          name: sql`coalesce(excluded.name, counters.name)`,
          total: sql`counters.total + excluded.total`,
          increments: sql`counters.increments + excluded.increments`,
        }),
      )
      .execute();
  },
});

/** For `STEWARD_PROJECTION_MODULES` (the CLI) and the projector child. */
export const projections = [counterProjection];
