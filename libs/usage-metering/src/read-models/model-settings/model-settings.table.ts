import type { ColumnType, Insertable, Selectable } from 'kysely';

/** One configured model of a workspace (`rm_model_settings.models`). Never holds a key, its ref or its hint. */
export interface ModelsTable {
  workspace_id: string;
  provider: string;
  model: string;
  organization_id: string;
  api_key_configured: boolean;
  api_key_set_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export type ModelRow = Selectable<ModelsTable>;
export type NewModelRow = Insertable<ModelsTable>;
