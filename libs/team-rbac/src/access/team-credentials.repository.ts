import type { Kysely } from 'kysely';
import type { Role } from '@steward/contracts';
import { iso } from '../read-models/paging';
import { teamDb, type TeamDB } from '../read-models/team/team-db';
import { PlatformAdminDirectory, type PlatformAdminConfig } from '../read-models/announcements/platform-admin.directory';

/** For the gateway's API key authentication only: carries the hash. Never return it to a client. */
export interface ApiKeyCredential {
  readonly keyId: string;
  readonly workspaceId: string;
  readonly organizationId: string;
  readonly scopes: string[];
  readonly hash: string;
  readonly revoked: boolean;
  readonly expiresAt: string | null;
}

/** What the gateway needs to build a user's principal. */
export interface Memberships {
  readonly userId: string;
  readonly workspaces: ReadonlyArray<{ readonly workspaceId: string; readonly organizationId: string; readonly role: Role }>;
  /** Organizations where the user holds an owner seat: `owner` in all their workspaces. */
  readonly organizations: ReadonlyArray<{ readonly organizationId: string; readonly role: 'owner' }>;
  /** A platform administrator (PlatformAdminDirectory): distinct from every organization role. */
  readonly platformAdmin: boolean;
}

/** A person found by the email of one of their memberships. */
export interface KnownPerson {
  readonly userId: string;
  /** As the membership holds it. */
  readonly email: string;
}

/**
 * The lookups that turn a credential into a caller, over the team read model:
 * the API key behind a prefix, the person behind a verified email, and every
 * workspace and organization a person holds a role in. Tenant-free by design
 * (the credential names its tenant); the gateway's authentication uses them,
 * no screen does.
 */
export class TeamCredentialRepository {
  private readonly platformAdmins: PlatformAdminDirectory;

  /** `platformAdmins`: STEWARD_PLATFORM_ADMINS parsed (parsePlatformAdmins); the bootstrap's grants are read from the read model. */
  constructor(private readonly deps: { readonly db: Kysely<unknown>; readonly platformAdmins?: PlatformAdminConfig }) {
    this.platformAdmins = new PlatformAdminDirectory({ db: deps.db, ...(deps.platformAdmins ? { configured: deps.platformAdmins } : {}) });
  }

  private get db(): Kysely<TeamDB> {
    return teamDb(this.deps.db);
  }

  /**
   * The key with this visible prefix, with its stored hash, for
   * `verifyApiKey(presented, credential.hash)`. Undefined when no key has this prefix.
   */
  async authenticateApiKey(prefix: string): Promise<ApiKeyCredential | undefined> {
    const row = await this.db
      .selectFrom('api_key_secrets as s')
      .innerJoin('api_keys as k', 'k.id', 's.api_key_id')
      .select(['k.id', 'k.workspace_id', 'k.organization_id', 'k.scopes', 's.key_hash', 'k.revoked_at', 'k.expires_at'])
      .where('s.prefix', '=', prefix)
      .orderBy('k.created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      keyId: row.id,
      workspaceId: row.workspace_id,
      organizationId: row.organization_id,
      scopes: row.scopes,
      hash: row.key_hash,
      revoked: row.revoked_at !== null,
      expiresAt: iso(row.expires_at),
    };
  }

  /** The person holding a membership under this email (case-insensitive), their oldest if several. */
  async memberByEmail(email: string): Promise<KnownPerson | undefined> {
    const row = await this.db
      .selectFrom('members')
      .select(['user_id', 'email'])
      .where((eb) => eb(eb.fn('lower', ['email']), '=', eb.fn('lower', [eb.val(email)])))
      .orderBy('joined_at')
      .limit(1)
      .executeTakeFirst();
    return row ? { userId: row.user_id, email: row.email } : undefined;
  }

  async membershipsOf(userId: string): Promise<Memberships> {
    const [workspaces, owners, platformAdmin] = await Promise.all([
      this.db
        .selectFrom('members')
        .select(['workspace_id', 'organization_id', 'role'])
        .where('user_id', '=', userId)
        .orderBy('organization_id')
        .orderBy('workspace_id')
        .execute(),
      this.db
        .selectFrom('organization_owners')
        .select('organization_id')
        .distinct()
        .where('user_id', '=', userId)
        .orderBy('organization_id')
        .execute(),
      this.platformAdmins.isPlatformAdmin(userId),
    ]);
    return {
      platformAdmin,
      userId,
      workspaces: workspaces.map((row) => ({ workspaceId: row.workspace_id, organizationId: row.organization_id, role: row.role })),
      organizations: owners.map((row) => ({ organizationId: row.organization_id, role: 'owner' as const })),
    };
  }
}
