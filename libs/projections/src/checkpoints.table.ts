import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { QuarantineTable } from './quarantine/quarantine.table';

/** numeric(20,0) and bigint columns travel as decimal strings (pg returns them so; JavaScript numbers would round). */
type Decimal = ColumnType<string, string | undefined, string>;

/** `steward_projections.checkpoints`: one row per projection. */
export interface CheckpointsTable {
  name: string;
  version: number;
  commit_position: Decimal;
  prepare_position: Decimal;
  events_applied: Decimal;
  /** Fencing token: bumped by every new leader and every rebuild swap; a write with an older epoch is refused. */
  epoch: Decimal;
  owner: string | null;
  /** `recordedAt` of the last applied event (lag in seconds). */
  last_event_at: Date | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  /** A rebuild waiting to take the projection over: runners other than this one stay away until `handover_until`. */
  handover_to: string | null;
  handover_until: Date | null;
  rebuilds: ColumnType<number, number | undefined, number>;
  rebuilt_at: Date | null;
  /** The projection's store filter, recorded by its leader: the event types and stream prefixes it reads (null: all). */
  event_types: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  stream_prefixes: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  /** False for a projection that writes never wait for (`awaitedByWrites: false`). */
  awaited: ColumnType<boolean, boolean | undefined, boolean>;
}

export type CheckpointRow = Selectable<CheckpointsTable>;
export type NewCheckpointRow = Insertable<CheckpointsTable>;
export type CheckpointRowUpdate = Updateable<CheckpointsTable>;

export interface ProjectionsDB {
  checkpoints: CheckpointsTable;
  quarantine: QuarantineTable;
}
