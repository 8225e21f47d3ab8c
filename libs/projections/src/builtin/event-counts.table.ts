import type { ColumnType, Selectable } from 'kysely';

/** `rm_event_counts.event_counts`: how many events of each type the store holds. */
export interface EventCountsTable {
  event_type: string;
  /** bigint: travels as a decimal string. */
  events: ColumnType<string, string, string>;
  first_recorded_at: Date;
  last_recorded_at: Date;
}

export type EventCountRow = Selectable<EventCountsTable>;

export interface EventCountsDB {
  event_counts: EventCountsTable;
}
