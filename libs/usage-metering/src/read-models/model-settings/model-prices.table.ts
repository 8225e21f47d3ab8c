import type { ColumnType, Insertable, Selectable } from 'kysely';

/** A model's price history (`rm_model_settings.model_prices`): USD per token as exact `numeric`, one row per effective-from. */
export interface ModelPricesTable {
  workspace_id: string;
  provider: string;
  model: string;
  effective_from: ColumnType<Date, Date | string, Date | string>;
  /** numeric, read as text. */
  input: string;
  output: string;
  cache_read: string | null;
  cache_creation: string | null;
  reasoning_output: string | null;
  set_by: string;
  set_at: ColumnType<Date, Date | string, Date | string>;
  rerate: boolean;
}

export type ModelPriceRow = Selectable<ModelPricesTable>;
export type NewModelPriceRow = Insertable<ModelPricesTable>;
