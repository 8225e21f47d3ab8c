import type { Kysely } from 'kysely';
import type { ApiKeySecretsTable } from './api-key-secrets.table';
import type { ApiKeysTable } from './api-keys.table';
import type { InvitationsTable } from './invitations.table';
import type { MembersTable } from './members.table';
import type { OrganizationOwnersTable } from './organization-owners.table';
import type { OrganizationsTable } from './organizations.table';
import type { UserProfilesTable } from './user-profiles.table';
import type { WorkspacesTable } from './workspaces.table';
import { TEAM_SCHEMA } from './team.projection';

/** The `team` read model (schema `rm_team`). */
export interface TeamDB {
  organizations: OrganizationsTable;
  organization_owners: OrganizationOwnersTable;
  workspaces: WorkspacesTable;
  members: MembersTable;
  invitations: InvitationsTable;
  api_keys: ApiKeysTable;
  api_key_secrets: ApiKeySecretsTable;
  user_profiles: UserProfilesTable;
}

/** The team read model's tables over a database handle (every team query starts here). */
export function teamDb(db: Kysely<unknown>): Kysely<TeamDB> {
  return (db as Kysely<TeamDB>).withSchema(TEAM_SCHEMA);
}
