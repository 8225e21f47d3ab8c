import type { ColumnType } from 'kysely';
import type { BigintColumn, NumericColumn } from './usage-rollups.table';

/**
 * The cells of `usage_rollups` summed over providers and models: one row per
 * workspace × agent × grain × cell (keyed agent first, so one agent's cells
 * are one index range). The summary and the timeline with an agent filter read
 * these.
 */
export interface UsageAgentRollupsTable {
  workspace_id: string;
  agent: string;
  grain: 15 | 60 | 1440;
  bucket_start: ColumnType<Date, Date | string, Date | string>;
  organization_id: string;
  calls: BigintColumn;
  errors: BigintColumn;
  unpriced_calls: BigintColumn;
  input_tokens: BigintColumn;
  output_tokens: BigintColumn;
  cache_read_tokens: BigintColumn;
  cache_creation_tokens: BigintColumn;
  reasoning_tokens: BigintColumn;
  cost: NumericColumn;
  latency_sum_ms: BigintColumn;
  latency_count: BigintColumn;
}
