import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { RuntimeCategory, RuntimeConfig, RuntimeProviderId, RuntimeTestFailure, SecretReference } from '@steward/contracts';

type Time = ColumnType<Date, Date | string, Date | string>;
type NullableTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** One row per runtime of a workspace (deleted runtimes are removed), with its last connection test. */
export interface RuntimesTable {
  workspace_id: string;
  runtime_id: string;
  organization_id: string;
  name: string;
  category: RuntimeCategory;
  provider: RuntimeProviderId;
  /** The non-secret configuration. */
  config: ColumnType<RuntimeConfig, string, string>;
  /** Secret field → reference and masked hint (the API shows only the hint). */
  secrets: ColumnType<Record<string, SecretReference>, string, string>;
  is_default: ColumnType<boolean, boolean | undefined, boolean>;
  created_by: string;
  created_at: Time;
  updated_at: Time;
  last_test_id: ColumnType<string | null, string | null | undefined, string | null>;
  last_test_status: ColumnType<'pending' | 'succeeded' | 'failed' | null, string | null | undefined, string | null>;
  last_test_requested_at: NullableTime;
  last_tested_at: NullableTime;
  last_test_status_code: ColumnType<number | null, number | null | undefined, number | null>;
  last_test_latency_ms: ColumnType<number | null, number | null | undefined, number | null>;
  last_test_failure: ColumnType<RuntimeTestFailure | null, string | null | undefined, string | null>;
  last_test_message: ColumnType<string | null, string | null | undefined, string | null>;
}

export type RuntimeRow = Selectable<RuntimesTable>;
export type NewRuntimeRow = Insertable<RuntimesTable>;
export type RuntimeRowUpdate = Updateable<RuntimesTable>;
