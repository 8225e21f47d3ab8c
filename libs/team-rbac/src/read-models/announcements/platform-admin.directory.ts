import { sql, type Kysely } from 'kysely';
import { teamDb } from '../team/team-db';
import { announcementsDb } from './announcements.table';

/** STEWARD_PLATFORM_ADMINS, parsed: user ids and (lower-cased) emails. */
export interface PlatformAdminConfig {
  readonly userIds: ReadonlySet<string>;
  readonly emails: ReadonlySet<string>;
}

export const NO_PLATFORM_ADMINS: PlatformAdminConfig = { userIds: new Set(), emails: new Set() };

/** `STEWARD_PLATFORM_ADMINS`: comma-separated user ids or emails (an entry with `@` is an email). */
export function parsePlatformAdmins(value: string | undefined): PlatformAdminConfig {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  return {
    userIds: new Set(entries.filter((entry) => !entry.includes('@'))),
    emails: new Set(entries.filter((entry) => entry.includes('@')).map((entry) => entry.toLowerCase())),
  };
}

/**
 * Who is a platform administrator: a person the configuration names (by user id or email), or one the
 * bootstrap granted (PlatformAdminGranted, in `rm_announcements.platform_admins`). No organization role
 * makes one: an organization's owner is not a platform administrator unless named so.
 */
export class PlatformAdminDirectory {
  constructor(private readonly deps: { readonly db: Kysely<unknown>; readonly configured?: PlatformAdminConfig }) {}

  async isPlatformAdmin(userId: string, email?: string): Promise<boolean> {
    const configured = this.deps.configured ?? NO_PLATFORM_ADMINS;
    if (configured.userIds.has(userId)) return true;
    if (email !== undefined && configured.emails.has(email.toLowerCase())) return true;
    if (configured.emails.size > 0 && email === undefined) {
      const profile = await teamDb(this.deps.db).selectFrom('user_profiles').select('email').where('user_id', '=', userId).executeTakeFirst();
      if (profile?.email && configured.emails.has(profile.email.toLowerCase())) return true;
    }
    return this.granted(userId);
  }

  /** Granted by the bootstrap (false while the read model is not migrated yet). */
  private async granted(userId: string): Promise<boolean> {
    try {
      const row = await announcementsDb(this.deps.db).selectFrom('platform_admins').select(sql<number>`1`.as('found')).where('user_id', '=', userId).executeTakeFirst();
      return row !== undefined;
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') return false;
      throw error;
    }
  }
}
