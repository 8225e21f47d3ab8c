import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/** API keys as listed. Holds NO hash: that lives in `api_key_secrets`, read only by `authenticateApiKey`. */
export interface ApiKeysTable {
  id: string;
  organization_id: string;
  workspace_id: string;
  name: string;
  scopes: string[];
  prefix: string;
  issued_by: string;
  created_at: ColumnType<Date, Date | string, Date | string>;
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Operational, written by the gateway (`ApiKeyUsageRecorder`), not by an event: a rebuild starts it empty. */
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKeyRow = Insertable<ApiKeysTable>;
export type ApiKeyRowUpdate = Updateable<ApiKeysTable>;
