import type { ColumnType } from 'kysely';
import type { BigintColumn, NumericColumn } from './usage-rollups.table';

/**
 * The same cells as `usage_rollups` summed over agent, provider and model: one
 * row per workspace × grain × cell. The summary and the timeline without an
 * agent filter read these (one row per cell instead of one per dimension
 * combination); by-model and agent-filtered queries read `usage_rollups`.
 */
export interface UsageWorkspaceRollupsTable {
  workspace_id: string;
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
