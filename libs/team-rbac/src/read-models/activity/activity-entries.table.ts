import type { ColumnType, Insertable, Selectable } from 'kysely';

/**
 * The activity log's fixed vocabulary.
 * - `create`, `update`, `delete`: from team domain events (a revocation is a
 *   `delete`, an acceptance or a status change an `update`; the summary says which);
 * - `fetch` (one resource) and `fetch_all` (a list): from gateway reads.
 */
export const ACTIVITY_ACTIONS = ['create', 'update', 'delete', 'fetch', 'fetch_all'] as const;
export type ActivityAction = (typeof ACTIVITY_ACTIONS)[number];

export const ACTIVITY_OUTCOMES = ['success', 'failure'] as const;
export type ActivityOutcome = (typeof ACTIVITY_OUTCOMES)[number];

/** `event`: projected from the event store; `read`: recorded from the gateway's NATS read feed. */
export type ActivitySource = 'event' | 'read';

/**
 * One activity entry. The same layout exists twice: `rm_activity.activity_entries`
 * (the projection, rebuilt from events) and `activity_reads.activity_entries`
 * (gateway reads, written by ActivityReadRecorder; not rebuildable, so kept out
 * of the projection's schema). ActivityRepository reads both as one log.
 */
export interface ActivityEntriesTable {
  /** The event id, or the read entry's client-supplied UUID. */
  id: string;
  organization_id: string;
  workspace_id: string | null;
  resource_type: string;
  action: ActivityAction;
  resource_id: string | null;
  actor_type: string;
  actor_id: string;
  occurred_at: ColumnType<Date, Date | string, Date | string>;
  outcome: ActivityOutcome;
  summary: string;
  source: ActivitySource;
  /** The domain event's type for `event` entries; null for reads. */
  event_type: string | null;
}

export type ActivityEntryRow = Selectable<ActivityEntriesTable>;
export type NewActivityEntryRow = Insertable<ActivityEntriesTable>;

/** Both activity schemas have this one table. */
export interface ActivityDB {
  activity_entries: ActivityEntriesTable;
}
