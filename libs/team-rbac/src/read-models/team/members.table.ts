import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { Role } from '@steward/contracts';

/** One row per current member of a workspace; removed members are deleted. The display name comes from `user_profiles`. */
export interface MembersTable {
  workspace_id: string;
  user_id: string;
  organization_id: string;
  email: string;
  role: Role;
  joined_at: ColumnType<Date, Date | string, Date | string>;
}

export type MemberRow = Selectable<MembersTable>;
export type NewMemberRow = Insertable<MembersTable>;
export type MemberRowUpdate = Updateable<MembersTable>;
