import type { ColumnType } from 'kysely';
import type { BigintColumn, NumericColumn } from './usage-rollups.table';

/**
 * One row per recorded call (the Recent Usage table), unique by (workspace_id,
 * time, event_id): the key the list reads backwards, in time order so inserts
 * land at the index's right edge (a redelivered event has the same three). A
 * UsageCorrected (which carries its call's workspace and time) sets
 * its cost to `cost + delta` and its current prices, and counts the correction.
 */
export interface UsageCallsTable {
  /** The UsageRecorded event id (usageEventIdFor). */
  event_id: string;
  organization_id: string;
  workspace_id: string;
  usage_id: string;
  source: string;
  time: ColumnType<Date, Date | string, Date | string>;
  agent: string;
  provider: string;
  model: string;
  input_tokens: BigintColumn;
  output_tokens: BigintColumn;
  cache_read_tokens: BigintColumn;
  cache_creation_tokens: BigintColumn;
  reasoning_tokens: BigintColumn;
  total_tokens: BigintColumn;
  /** USD, exact; includes every correction. */
  cost: NumericColumn;
  /** bigint: the contract bounds it only by a safe integer. */
  response_time_ms: BigintColumn;
  status: 'success' | 'error';
  error_type: string | null;
  priced: boolean;
  /** The statement line the call is in (see usage-statement-lines.table.ts). */
  price_key: string;
  job_id: string | null;
  corrections: number;
  received_at: ColumnType<Date, Date | string, Date | string>;
}
