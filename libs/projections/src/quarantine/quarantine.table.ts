import type { ColumnType, Insertable, Selectable } from 'kysely';

type Decimal = ColumnType<string, string, string>;

/**
 * `steward_projections.quarantine`: one row per event a projection could not
 * apply and skipped (it was never applied: its batch was applied without it).
 * Removed when a replay applies it, in the same transaction.
 */
export interface QuarantineTable {
  projection: string;
  event_id: string;
  stream_id: string;
  stream_revision: Decimal;
  event_type: string;
  event_version: number;
  commit_position: Decimal;
  prepare_position: Decimal;
  /** When the store recorded the event. */
  recorded_at: Date;
  /** The SQLSTATE of a database refusal, else the error's class name. */
  error_code: string | null;
  error_message: string;
  quarantined_at: ColumnType<Date, Date | undefined, Date>;
  replay_attempts: ColumnType<number, number | undefined, number>;
  last_replay_at: Date | null;
}

export type QuarantineRow = Selectable<QuarantineTable>;
export type NewQuarantineRow = Insertable<QuarantineTable>;
