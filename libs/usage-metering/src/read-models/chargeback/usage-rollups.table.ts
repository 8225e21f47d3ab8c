import type { ColumnType } from 'kysely';

/** Exact decimal: PostgreSQL numeric, read and written as text. */
export type NumericColumn = ColumnType<string, string, string>;
/** bigint: pg returns text; written as number or text. */
export type BigintColumn = ColumnType<string, number | string, number | string>;

/** What every rollup row holds for its cell: the cell, and the sums of the calls in it. */
export interface RollupCell {
  workspace_id: string;
  grain: 15 | 60 | 1440;
  /** Start of the cell in UTC, aligned to the grain. */
  bucket_start: ColumnType<Date, Date | string, Date | string>;
  organization_id: string;
  calls: BigintColumn;
  errors: BigintColumn;
  /** Calls recorded with no price (cost 0): "pricing not configured". */
  unpriced_calls: BigintColumn;
  input_tokens: BigintColumn;
  output_tokens: BigintColumn;
  cache_read_tokens: BigintColumn;
  cache_creation_tokens: BigintColumn;
  reasoning_tokens: BigintColumn;
  /** USD, exact. */
  cost: NumericColumn;
  latency_sum_ms: BigintColumn;
  latency_count: BigintColumn;
}

/**
 * Time-bucketed usage per workspace × agent × provider × model, at three
 * grains (`grain` in minutes): 15 (the finest: every zone in use has an offset
 * that is a multiple of 15 minutes), 60 and 1440 (UTC hours and UTC days).
 * Every call is added to one row of each grain; a UsageCorrected adds its
 * delta to the rows of the original call's `time`. Queries read a signed sum
 * of cells (time-buckets.ts `decompose`), never raw calls.
 */
export interface UsageRollupsTable extends RollupCell {
  agent: string;
  provider: string;
  model: string;
}

/**
 * The same cells summed over agent, provider and model: one row per workspace
 * × grain × cell. The summary and the timeline without an agent filter read
 * these (one row per cell instead of one per dimension combination).
 */
export type UsageWorkspaceRollupsTable = RollupCell;

/**
 * The cells summed over agents: one row per workspace × grain × cell ×
 * provider × model. By-model and the model table without an agent filter read
 * these (one row per model in the cell, however many agents called it).
 */
export interface UsageModelRollupsTable extends RollupCell {
  provider: string;
  model: string;
}

/**
 * The cells summed over providers and models: one row per workspace × agent ×
 * grain × cell (keyed agent first, so one agent's cells are one index range).
 * The summary and the timeline with an agent filter read these.
 */
export interface UsageAgentRollupsTable extends RollupCell {
  agent: string;
}
