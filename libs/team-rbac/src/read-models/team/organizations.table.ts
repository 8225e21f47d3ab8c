import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/** One row per organization (`OrganizationCreated`). Team size is derived at query time from `members`. */
export interface OrganizationsTable {
  id: string;
  name: string;
  owner_user_id: string;
  owner_email: string;
  first_workspace_id: string;
  created_at: ColumnType<Date, Date | string, Date | string>;
}

export type OrganizationRow = Selectable<OrganizationsTable>;
export type NewOrganizationRow = Insertable<OrganizationsTable>;
export type OrganizationRowUpdate = Updateable<OrganizationsTable>;
