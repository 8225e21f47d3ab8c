import type { ColumnType } from 'kysely';
import type { BigintColumn, NumericColumn } from './usage-rollups.table';

/**
 * The cells of `usage_rollups` summed over agents: one row per workspace ×
 * grain × cell × provider × model. By-model and the model table without an
 * agent filter read these (one row per model in the cell, however many agents
 * called it).
 */
export interface UsageModelRollupsTable {
  workspace_id: string;
  grain: 15 | 60 | 1440;
  bucket_start: ColumnType<Date, Date | string, Date | string>;
  provider: string;
  model: string;
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
