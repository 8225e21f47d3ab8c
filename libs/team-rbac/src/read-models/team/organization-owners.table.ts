import type { Insertable, Selectable } from 'kysely';

/** Owner seats: `userId` is an organization owner through the owner role in `workspace_id`. */
export interface OrganizationOwnersTable {
  organization_id: string;
  workspace_id: string;
  user_id: string;
}

export type OrganizationOwnerRow = Selectable<OrganizationOwnersTable>;
export type NewOrganizationOwnerRow = Insertable<OrganizationOwnersTable>;
