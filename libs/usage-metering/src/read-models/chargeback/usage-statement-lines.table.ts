import type { ColumnType } from 'kysely';
import type { BigintColumn, NumericColumn } from './usage-rollups.table';

/**
 * The usage statement: per workspace, UTC month, job ('' for calls of no
 * job), provider, model and price (`price_key`: the five resolved unit prices,
 * or `unpriced`), the billable quantity of each token type and the exact cost.
 * Quantities are what is priced: plain input = input − cache read − cache
 * creation, plain output = output − reasoning. A correction moves its call from
 * the line of its old price to the line of its new one.
 */
export interface UsageStatementLinesTable {
  workspace_id: string;
  month: ColumnType<string, string, string>;
  job_id: string;
  provider: string;
  model: string;
  price_key: string;
  organization_id: string;
  /** USD per token, null when unpriced. */
  price_input: NumericColumn | null;
  price_cache_read: NumericColumn | null;
  price_cache_creation: NumericColumn | null;
  price_output: NumericColumn | null;
  price_reasoning: NumericColumn | null;
  calls: BigintColumn;
  unpriced_calls: BigintColumn;
  input_tokens: BigintColumn;
  cache_read_tokens: BigintColumn;
  cache_creation_tokens: BigintColumn;
  output_tokens: BigintColumn;
  reasoning_tokens: BigintColumn;
  cost: NumericColumn;
}
