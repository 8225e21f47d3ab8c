import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/** One row per known user: email from membership events, the rest from `UserProfileUpdated`. */
export interface UserProfilesTable {
  user_id: string;
  email: string | null;
  name: string | null;
  organization_name: string | null;
  time_zone: string | null;
  custom_instructions: string | null;
  updated_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type UserProfileRow = Selectable<UserProfilesTable>;
export type NewUserProfileRow = Insertable<UserProfilesTable>;
export type UserProfileRowUpdate = Updateable<UserProfilesTable>;
