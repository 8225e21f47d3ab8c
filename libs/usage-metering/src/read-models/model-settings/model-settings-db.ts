import type { ModelPricesTable } from './model-prices.table';
import type { ModelsTable } from './model-settings.table';

/** The model settings read model (schema `rm_model_settings`). */
export interface ModelSettingsDB {
  models: ModelsTable;
  model_prices: ModelPricesTable;
}
