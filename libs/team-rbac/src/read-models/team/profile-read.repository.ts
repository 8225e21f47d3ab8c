import type { Kysely } from 'kysely';
import { iso } from '../paging';
import { teamDb } from './team-db';

export interface UserProfileView {
  readonly userId: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly organizationName: string | null;
  readonly timeZone: string | null;
  readonly customInstructions: string | null;
  readonly updatedAt: string | null;
}

/** A person's own profile: the user is the tenant. */
export class ProfileReadRepository {
  constructor(private readonly deps: { readonly db: Kysely<unknown> }) {}

  async getProfile(userId: string): Promise<UserProfileView | undefined> {
    const row = await teamDb(this.deps.db).selectFrom('user_profiles').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!row) return undefined;
    return {
      userId: row.user_id,
      email: row.email,
      name: row.name,
      organizationName: row.organization_name,
      timeZone: row.time_zone,
      customInstructions: row.custom_instructions,
      updatedAt: iso(row.updated_at),
    };
  }
}
