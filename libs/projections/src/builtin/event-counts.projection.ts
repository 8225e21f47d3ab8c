import { sql } from 'kysely';
import type { RecordedEvent } from '@steward/event-store';
import { defineProjection } from '../projection';
import type { EventCountsDB } from './event-counts.table';

export * from './event-counts.table';

/**
 * An operations read model: events per type, with the first and last time one
 * was recorded. Batched: one multi-row upsert per batch, whatever its size.
 */
export const eventCountsProjection = defineProjection<EventCountsDB>({
  name: 'event-counts',
  version: 1,
  async migrate(db) {
    await db.schema
      .createTable('event_counts')
      .addColumn('event_type', 'text', (c) => c.primaryKey())
      .addColumn('events', 'bigint', (c) => c.notNull())
      .addColumn('first_recorded_at', 'timestamptz', (c) => c.notNull())
      .addColumn('last_recorded_at', 'timestamptz', (c) => c.notNull())
      .execute();
  },
  async handle(trx, events) {
    const rows = countByType(events);
    await trx
      .insertInto('event_counts')
      .values(rows)
      .onConflict((oc) =>
        oc.column('event_type').doUpdateSet({
          events: sql<string>`event_counts.events + excluded.events`,
          first_recorded_at: sql<Date>`least(event_counts.first_recorded_at, excluded.first_recorded_at)`,
          last_recorded_at: sql<Date>`greatest(event_counts.last_recorded_at, excluded.last_recorded_at)`,
        }),
      )
      .execute();
  },
});

function countByType(events: readonly RecordedEvent[]) {
  const byType = new Map<string, { event_type: string; count: number; first_recorded_at: Date; last_recorded_at: Date }>();
  for (const event of events) {
    const row = byType.get(event.type);
    if (!row) {
      byType.set(event.type, { event_type: event.type, count: 1, first_recorded_at: event.recordedAt, last_recorded_at: event.recordedAt });
      continue;
    }
    row.count++;
    if (event.recordedAt < row.first_recorded_at) row.first_recorded_at = event.recordedAt;
    if (event.recordedAt > row.last_recorded_at) row.last_recorded_at = event.recordedAt;
  }
  return [...byType.values()].map(({ count, ...row }) => ({ ...row, events: String(count) }));
}
